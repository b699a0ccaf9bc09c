"""Fixtures shared across the suite: small recipes and one tiny trained checkpoint.

Everything here runs in seconds on a 2-core CPU and needs nothing outside the repository.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from dpzoo.recipe import Recipe
from dpzoo.train import train

# The suite's models are tiny: one thread per process beats two (thread hand-offs cost more than the math),
# and subprocesses started by tests (the CLI) inherit the setting.
torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")


def real_inception_weights() -> Path | None:
    """pytorch-fid's real Inception file where this machine has it: $DPZOO_INCEPTION_WEIGHTS, the torch hub
    cache, or ../shared/weights beside the repository. Tests that need it skip, saying why, when it is absent."""
    from dpzoo.evaluate.inception import WEIGHTS_FILE, hub_weights_path

    shared = Path(__file__).resolve().parents[2] / "shared" / "weights" / WEIGHTS_FILE
    for candidate in (os.environ.get("DPZOO_INCEPTION_WEIGHTS"), hub_weights_path(), shared):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


needs_inception = pytest.mark.skipif(
    real_inception_weights() is None,
    reason="pytorch-fid's pt_inception-2015-12-05-6726825d.pth is not on this machine (torch hub cache or ../shared/weights)",
)


@pytest.fixture
def no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch home and no DPZOO_INCEPTION_WEIGHTS: a machine without the Inception file."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("DPZOO_INCEPTION_WEIGHTS", raising=False)
    return tmp_path


def moons_recipe(
    prior: str = "decoupled",
    regularizer: str = "vae",
    steps: int = 100,
    latent_dim: int = 2,
    seed: int = 0,
    **overrides: dict,
) -> Recipe:
    """Two moons with a small MLP: the smallest real training problem dpzoo has."""
    sections = {
        "dataset": {"train_size": 1000, "test_size": 500},
        "training": {"steps": steps, "batch_size": 100, "seed": seed, "save_every": max(1, steps // 2), "log_every": 10},
    }
    for section, values in overrides.items():
        sections[section] = {**sections.get(section, {}), **values}
    return Recipe.create("two-moons", prior, regularizer, None, latent_dim, sections)


@pytest.fixture(scope="session")
def moons_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A decoupled-prior VAE trained for 100 steps on two moons (read-only: copy before changing)."""
    out = tmp_path_factory.mktemp("moons") / "run"
    train(moons_recipe(), out)
    return out


@pytest.fixture(autouse=True)
def _fixed_seed() -> None:
    torch.manual_seed(0)


@pytest.fixture
def make_distribution(tmp_path: Path) -> Callable[..., Path]:
    """Write throwaway installed distributions (a `*.dist-info` and modules) into one site directory.

    `make(name, {group: {plugin: "module:object"}}, {module: source}, version)` returns that directory;
    put it on sys.path (then `registry.refresh()`) or on a subprocess's PYTHONPATH and
    importlib.metadata finds the entry points exactly as it finds a pip-installed package's.
    """
    site = tmp_path / "site"
    site.mkdir()

    def make(name: str, entry_points: dict[str, dict[str, str]], modules: dict[str, str] | None = None, version: str = "0.1.0") -> Path:
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        sections = [f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in plugins.items()) for group, plugins in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(sections))
        for module, source in (modules or {}).items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
        return site

    return make


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory: pytest.TempPathFactory):
    """A real Hugging Face-compatible server (olah) on 127.0.0.1 for the session; see tests/hub_server.py.

    Tests commit repositories into it with `hub_server.commit(...)` and point clients at it with
    `hub_server.env(hf_home)` (a fresh HF_HOME, so the user's cache is never touched).
    """
    from hub_server import HubServer

    server = HubServer(tmp_path_factory.mktemp("hub"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mnist_model():
    """An untrained conv28 dpVAE (d = 4) for MNIST with its run config: image metrics and pictures need no training."""
    from dpzoo.model import DPVAE

    recipe = Recipe.create("mnist", "decoupled", "vae", None, 4, {"prior": {"blocks": 2}})
    torch.manual_seed(0)
    model = DPVAE.from_config(recipe.model).eval()
    model.run_config = recipe.to_dict()
    return model
