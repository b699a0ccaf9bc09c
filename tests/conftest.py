"""Fixtures shared across the suite: small recipes and one tiny trained checkpoint.

Everything here runs in seconds on a 2-core CPU and needs nothing outside the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dpzoo.recipe import Recipe
from dpzoo.train import train


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
