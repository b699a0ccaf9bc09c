"""`dpzoo pull / push / list` and `dpzoo train NAME` as a user runs them, against the real test server.

Here the Hugging Face settings arrive the way users set them: HF_ENDPOINT, HF_HOME, HF_HUB_OFFLINE.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dpzoo import catalog
from dpzoo.checkpoint import CARD_FILE, CONFIG_FILE, MODEL_FILE, read_config

REPO = "dpzoo/cli-moons"


@pytest.fixture(scope="module")
def published(hub_server, moons_checkpoint, tmp_path_factory):
    """The moons checkpoint on the test server, and a catalog with it (published) and one unpublished entry."""
    sha = hub_server.commit(REPO, {name: moons_checkpoint / name for name in (MODEL_FILE, CONFIG_FILE, CARD_FILE)}, tag="v1")
    root = tmp_path_factory.mktemp("cli-catalog")
    catalog.write_entry(moons_checkpoint, "dpvae-two-moons", REPO, sha, root)
    catalog.write_entry(moons_checkpoint, "dpvae-two-moons-next", "dpzoo/dpvae-two-moons-next", None, root)
    return {"sha": sha, "catalog": root}


@pytest.fixture
def env(hub_server, published, tmp_path) -> dict[str, str]:
    quiet = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "COLUMNS": "200"}  # stderr then holds only dpzoo's own lines
    return {**hub_server.env(tmp_path / "hf-home"), "DPZOO_CATALOG": str(published["catalog"]), **quiet}


def run_python(script: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True, timeout=300)


def test_pull_then_list_and_load_from_cache_with_the_server_stopped(dpzoo_cli, hub_server, published, env, tmp_path):
    done = dpzoo_cli("pull", "dpvae-two-moons", env=env)
    assert done.returncode == 0, done.stderr
    snapshot = Path(done.stdout.strip())
    assert snapshot == tmp_path / "hf-home" / "hub" / "models--dpzoo--cli-moons" / "snapshots" / published["sha"]
    assert f"{REPO}@{published['sha'][:12]}" in done.stderr and "checked and ready" in done.stderr

    rows = {row["name"]: row for row in json.loads(dpzoo_cli("list", "--json", env=env).stdout)}
    assert (rows["dpvae-two-moons"]["published"], rows["dpvae-two-moons"]["downloaded"]) == (True, "yes")
    assert (rows["dpvae-two-moons-next"]["published"], rows["dpvae-two-moons-next"]["downloaded"]) == (False, "no")
    table = {line.split()[0]: line.split() for line in dpzoo_cli("list", env=env).stdout.splitlines() if line.strip()}
    assert table["dpvae-two-moons"][-2:] == ["yes", "yes"] and table["dpvae-two-moons-next"][-2:] == ["no", "no"]
    narrow = dpzoo_cli("list", env={**env, "COLUMNS": "80"}).stdout  # names are never cut: they are what users type
    assert max(map(len, narrow.splitlines())) <= 80 and "…" not in narrow
    assert {line.split()[0] for line in narrow.splitlines() if line.strip()} >= set(rows)

    hub_server.stop()
    try:
        again = dpzoo_cli("pull", "dpvae-two-moons", env=env)
        assert again.returncode == 0, again.stderr
        assert Path(again.stdout.strip()) == snapshot
        script = "import dpzoo; m = dpzoo.load('dpvae-two-moons'); print(m.latent_dim, m.config.prior.name)"
        loaded = run_python(script, env)
        assert loaded.stdout.split() == ["2", "decoupled"], loaded.stderr
    finally:
        hub_server.start()


def test_offline_pull_of_an_uncached_model_says_so_in_one_line(dpzoo_cli, published, env):
    done = dpzoo_cli("pull", "dpvae-two-moons", env={**env, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: {REPO}@{published['sha']} is not in the Hugging Face cache and HF_HUB_OFFLINE is set; unset HF_HUB_OFFLINE to download it"
    )


def test_corrupted_cached_file_is_deleted_offline_and_fetched_again_online(dpzoo_cli, moons_checkpoint, env):
    snapshot = Path(dpzoo_cli("pull", "dpvae-two-moons", env=env).stdout.strip())
    blob = (snapshot / MODEL_FILE).resolve()
    blob.write_bytes(blob.read_bytes()[:-8])
    offline = dpzoo_cli("pull", "dpvae-two-moons", env={**env, "HF_HUB_OFFLINE": "1"})
    assert offline.returncode == 1
    assert "error: the cached model.safetensors of dpzoo/cli-moons@" in offline.stderr
    assert "was corrupted and has been deleted" in offline.stderr and len(offline.stderr.strip().splitlines()) == 1
    assert not blob.exists()
    online = dpzoo_cli("pull", "dpvae-two-moons", env=env)
    assert online.returncode == 0, online.stderr
    assert (snapshot / MODEL_FILE).read_bytes() == (moons_checkpoint / MODEL_FILE).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pull", "dpvae-two-moon"), "error: no zoo model named 'dpvae-two-moon'; did you mean dpvae-two-moons"),
        (("pull", "dpvae-two-moons", "--revision", "v9"), "error: revision 'v9' not found in dpzoo/cli-moons (branches and tags: main, v1)"),
        (("pull", "dpvae-two-moons-next"), "error: zoo model 'dpvae-two-moons-next' is not published on the Hub yet"),
        (("sample", "runs/absent"), "error: repository runs/absent not found at http://127.0.0.1"),
        (("train", "dpvae-two-moons-next", "--dataset", "mnist"), "error: dpvae-two-moons-next's card already fixes the data and the model; drop --dataset"),
    ],
)
def test_bad_requests_get_one_line_errors(dpzoo_cli, env, tmp_path, args, message):
    done = dpzoo_cli(*args, env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1


def test_push_checks_the_checkpoint_then_names_a_server_that_refuses_uploads(dpzoo_cli, hub_server, moons_checkpoint, env, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(moons_checkpoint, run)
    done = dpzoo_cli("push", str(run), "dpzoo/pushed", env=env)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: the server at {hub_server.endpoint} does not accept uploads (405); push to the Hugging Face Hub (unset HF_ENDPOINT)"
    (run / CONFIG_FILE).unlink()
    missing = dpzoo_cli("push", str(run), "dpzoo/pushed", env=env)
    assert missing.returncode == 1 and "config.json not found" in missing.stderr


def test_train_by_catalog_name_uses_the_entry_recipe_with_the_given_budget(dpzoo_cli, env, tmp_path):
    out = tmp_path / "trained"
    done = dpzoo_cli("train", "dpvae-two-moons-next", "--steps", "3", "--save-every", "3", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    entry = catalog.get("dpvae-two-moons-next", Path(env["DPZOO_CATALOG"]))
    config = read_config(out)
    assert config["model"] == entry.recipe["model"] and config["dataset"] == entry.recipe["dataset"]
    assert config["training"] == {**entry.recipe["training"], "steps": 3, "save_every": 3}
