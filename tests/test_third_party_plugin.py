"""A third-party plugin as a user meets it: installed on its own, used by the real `dpzoo` command.

The example package `plugins/examples/dpzoo-dipvae` is pip-installed offline into a temporary
directory (never into the shared environment) and put on the PYTHONPATH of fresh `dpzoo`
processes. Throwaway broken distributions check that one bad plugin costs one warning and nothing
else, and that `dpzoo --help` and `dpzoo plugins` import neither torch nor any plugin module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "plugins" / "examples" / "dpzoo-dipvae"
DPZOO = shutil.which("dpzoo") or str(Path(sys.executable).with_name("dpzoo"))
GROUP = "dpzoo.regularizers"
MOONS = ["--dataset", "two-moons", "--latent-dim", "2", "--set", "dataset.train_size=1000", "--set", "dataset.test_size=500"]


def run(argv: list[str], *paths: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """A fresh process that sees exactly `paths` beyond the shared environment (tiny models: one thread)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"COLUMNS": "200", "OMP_NUM_THREADS": "1"}
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def table_row(stdout: str, group: str, name: str) -> list[str]:
    """The cells of one row of `dpzoo plugins`' table."""
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells[:2] == [group, name]:
            return cells
    raise AssertionError(f"no row {group} {name} in:\n{stdout}")


@pytest.fixture(scope="module")
def dipvae_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dpzoo-dipvae installed with pip into its own directory, offline, from a copy of its source."""
    root = tmp_path_factory.mktemp("dipvae")
    source = shutil.copytree(EXAMPLE, root / "source", ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    site = root / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "--target", str(site), str(source)]
    result = run(pip)
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope="module")
def dip_run(dipvae_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dip") / "run"
    argv = [DPZOO, "train", "--regularizer", "dip", "--prior", "decoupled", *MOONS, "--steps", "100", "--save-every", "100", "--out", str(out)]
    result = run(argv, dipvae_site)
    assert result.returncode == 0, result.stderr
    assert [w for w in warnings_in(result.stderr) if "dip" in w] == []
    return out


def test_plugins_lists_dip_with_its_distribution_and_version(dipvae_site):
    result = run([DPZOO, "plugins"], dipvae_site)
    assert result.returncode == 0, result.stderr
    assert table_row(result.stdout, GROUP, "dip")[2:4] == ["dpzoo-dipvae", "0.1.0"]
    assert table_row(result.stdout, GROUP, "vae")[2] == "dpzoo"


def test_training_with_dip_records_the_plugin_and_logs_its_terms(dip_run):
    config = json.loads((dip_run / "config.json").read_text())
    assert config["plugins"]["regularizer"] == {"name": "dip", "distribution": "dpzoo-dipvae", "version": "0.1.0"}
    assert config["model"]["regularizer"] == {"name": "dip", "config": {"variant": "i", "lambda_od": 10.0, "lambda_d": 100.0}}
    last = json.loads((dip_run / "train_log.jsonl").read_text().splitlines()[-1])
    assert last["step"] == 100 and {"dip_off_diagonal", "dip_diagonal", "kl", "reconstruction"} <= set(last)


def test_checkpoint_reloads_with_the_plugin_installed(dip_run, dipvae_site):
    script = (
        "import sys, torch, dpzoo; from safetensors.torch import load_file; m = dpzoo.load(sys.argv[1]); "
        "w = load_file(sys.argv[1] + '/model.safetensors'); assert set(w) == set(m.state_dict()); "
        "assert all(torch.equal(v, w[k]) for k, v in m.state_dict().items()); print(type(m.regularizer).__module__)"
    )
    result = run([sys.executable, "-c", script, str(dip_run)], dipvae_site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "dpzoo_dipvae.dip"


def test_checkpoint_without_the_plugin_names_the_missing_distribution(dip_run, tmp_path):
    result = run([DPZOO, "sample", str(dip_run), "--n", "4", "--out", str(tmp_path / "s.png")])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "needs regularizer 'dip' from dpzoo-dipvae" in lines[0]
    assert not (tmp_path / "s.png").exists()


@pytest.fixture
def broken_site(make_distribution: Callable[..., Path]) -> Path:
    """Three bad plugins; each module raises if imported, so an unwanted import cannot go unnoticed."""
    make_distribution("dpzoo-boom", {GROUP: {"boom": "boom_cli:Boom"}}, {"boom_cli": "raise RuntimeError('kaboom at import')"})
    make_distribution("dpzoo-ghost", {GROUP: {"ghost": "ghost_cli:Missing"}}, {"ghost_cli": "class Present: ..."})
    return make_distribution("dpzoo-clash", {GROUP: {"vae": "clash_cli:Clash"}}, {"clash_cli": "raise RuntimeError('never import me')"})


def test_broken_plugins_cost_one_warning_each_and_builtins_keep_working(broken_site, tmp_path):
    listed = run([DPZOO, "plugins"], broken_site)
    assert listed.returncode == 0, listed.stderr
    assert warnings_in(listed.stderr) == [
        "warning: regularizer 'vae' from dpzoo-clash is ignored: dpzoo already registers that name; rename it in its entry points"
    ]
    assert table_row(listed.stdout, GROUP, "boom")[2] == "dpzoo-boom"
    assert table_row(listed.stdout, GROUP, "vae")[2] == "dpzoo"

    checked = run([DPZOO, "plugins", "--check"], broken_site)
    assert checked.returncode == 0, checked.stderr
    for dist, name in [("dpzoo-boom", "boom"), ("dpzoo-ghost", "ghost"), ("dpzoo-clash", "vae")]:
        assert len([w for w in warnings_in(checked.stderr) if dist in w]) == 1, checked.stderr
    assert table_row(checked.stdout, GROUP, "boom")[-1] == "import failed"
    assert table_row(checked.stdout, GROUP, "ghost")[-1] == "import failed"
    assert table_row(checked.stdout, GROUP, "vae")[-1] == "ok"

    out = tmp_path / "run"
    trained = run([DPZOO, "train", "--regularizer", "vae", "--prior", "gaussian", *MOONS, "--steps", "10", "--out", str(out)], broken_site)
    assert trained.returncode == 0, trained.stderr
    assert [w for w in warnings_in(trained.stderr) if "dpzoo-" in w] == warnings_in(listed.stderr)
    assert json.loads((out / "config.json").read_text())["plugins"]["regularizer"]["distribution"] == "dpzoo"

    used = run([DPZOO, "train", "--regularizer", "boom", *MOONS, "--steps", "10", "--out", str(tmp_path / "boom")], broken_site)
    assert used.returncode == 1
    [error] = [line for line in used.stderr.splitlines() if "dpzoo-boom" in line]  # said once, as the error
    assert error.startswith("error: regularizer 'boom' from dpzoo-boom 0.1.0 failed to import (RuntimeError: kaboom at import)")


IMPORTS_AT_EXIT = """
import atexit, json, sys
report = sys.argv.pop(1)
atexit.register(lambda: open(report, "w").write(json.dumps(sorted(sys.modules))))
from dpzoo.cli.app import main
main()
"""


@pytest.mark.parametrize("argv", [["--help"], ["plugins"]], ids=["help", "plugins"])
def test_help_and_plugins_import_neither_torch_nor_plugin_modules(argv, dipvae_site, broken_site, tmp_path):
    report = tmp_path / "modules.json"
    result = run([sys.executable, "-c", IMPORTS_AT_EXIT, str(report), *argv], dipvae_site, broken_site)
    assert result.returncode == 0, result.stderr
    modules = json.loads(report.read_text())
    assert "dpzoo.cli.app" in modules
    heavy = [m for m in modules if m.split(".")[0] in ("torch", "numpy", "dpzoo_dipvae", "boom_cli", "ghost_cli", "clash_cli")]
    plugin_modules = [m for m in modules if m.startswith("dpzoo.plugins.") or m in ("dpzoo.model", "dpzoo.prior")]
    assert heavy == [] and plugin_modules == []
