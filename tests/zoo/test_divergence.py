"""A non-finite loss stops training with the step and the term, and the last good checkpoint stays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from dpzoo import checkpoint
from dpzoo.batches import Batches
from dpzoo.errors import TrainingDiverged
from dpzoo.recipe import Recipe
from dpzoo.train import train

BATCH, SEED, BAD_STEP = 20, 0, 15


def poisoned_recipe(tmp_path: Path, steps: int) -> Recipe:
    """Two-moons-like vectors with one NaN example, placed so that the batch of step BAD_STEP holds it."""
    data = np.random.default_rng(0).normal(size=(400, 2)).astype(np.float32)
    bad = int(Batches(torch.zeros(400), BATCH, SEED).indices(BAD_STEP)[3])
    data[bad] = np.nan
    np.savez(tmp_path / "data.npz", train=data, test=data[:10])
    overrides = {
        "dataset": {"path": str(tmp_path / "data.npz")},
        "training": {"steps": steps, "batch_size": BATCH, "seed": SEED, "save_every": 10, "log_every": 5},
    }
    return Recipe.create("npz", "decoupled", "beta-tc", None, 2, overrides)


def test_nan_loss_names_step_and_term_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with pytest.raises(TrainingDiverged) as info:
        train(poisoned_recipe(tmp_path, 40), run)
    error = info.value
    assert error.step == BAD_STEP
    assert error.term == "reconstruction"  # the term that went bad, not the total it poisoned
    assert f"step {BAD_STEP}" in str(error) and "'reconstruction'" in str(error) and "\n" not in str(error)

    with safe_open(str(run / checkpoint.STATE_FILE), framework="pt") as handle:
        assert handle.metadata()["step"] == "10"
    reference = tmp_path / "reference"
    train(poisoned_recipe(tmp_path, 10), reference)  # the same run, stopped at the checkpoint
    kept, expected = load_file(str(run / checkpoint.MODEL_FILE)), load_file(str(reference / checkpoint.MODEL_FILE))
    assert kept.keys() == expected.keys()
    assert all(torch.equal(kept[k], expected[k]) and torch.isfinite(kept[k]).all() for k in kept)
    model = checkpoint.load_model(run)
    assert torch.isfinite(model.sample(4)).all()
    logged = [json.loads(line)["step"] for line in (run / checkpoint.LOG_FILE).read_text().splitlines()]
    assert logged == [5, 10, 15]  # nothing past the divergence
