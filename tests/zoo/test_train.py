"""The trainer: it learns, its checkpoints reload exactly, and a resume is bit-for-bit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from conftest import moons_recipe
from safetensors.torch import load_file

from dpzoo import checkpoint
from dpzoo.errors import CheckpointError
from dpzoo.train import train


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / checkpoint.LOG_FILE).read_text().splitlines()]


def test_training_lowers_the_loss(tmp_path: Path) -> None:
    train(moons_recipe(steps=300), tmp_path / "run")
    log = _log(tmp_path / "run")
    first, last = log[0]["loss"], sum(e["loss"] for e in log[-5:]) / 5
    assert last < first - 0.2


def test_save_then_load_gives_identical_outputs(moons_checkpoint: Path) -> None:
    a = checkpoint.load_model(moons_checkpoint)
    b = checkpoint.load_model(moons_checkpoint)
    x = torch.randn(32, 2)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    torch.testing.assert_close(a.sample(16, generator=g()), b.sample(16, generator=g()), rtol=0, atol=0)
    torch.testing.assert_close(a.encode(x), b.encode(x), rtol=0, atol=0)
    weights = load_file(str(moons_checkpoint / checkpoint.MODEL_FILE))
    for key, value in a.state_dict().items():
        assert torch.equal(weights[key], value)


def test_resume_equals_uninterrupted_run(tmp_path: Path) -> None:
    every = {"training": {"save_every": 10}}
    whole = tmp_path / "whole"
    train(moons_recipe(steps=60, **every), whole)
    part = tmp_path / "part"
    train(moons_recipe(steps=30, **every), part)  # "interrupted" after its checkpoint at step 30
    train(moons_recipe(steps=60, **every), part, resume=True)
    a, b = load_file(str(whole / checkpoint.MODEL_FILE)), load_file(str(part / checkpoint.MODEL_FILE))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert _log(whole) == [{**e, "seconds": w["seconds"]} for e, w in zip(_log(part), _log(whole))]


def test_resume_after_a_kill_between_checkpoints(tmp_path: Path) -> None:
    """A checkpoint at step 20 and a log that ran on to step 30: the resume trims the log and matches."""
    every = {"training": {"save_every": 20}}
    whole = tmp_path / "whole"
    train(moons_recipe(steps=40, **every), whole)
    part = tmp_path / "part"
    train(moons_recipe(steps=40, **every), part)
    early = tmp_path / "early"
    train(moons_recipe(steps=20, **every), early)
    shutil.copy(early / checkpoint.STATE_FILE, part / checkpoint.STATE_FILE)  # the state a kill at step 30 leaves
    train(moons_recipe(steps=40, **every), part, resume=True)
    assert [e["step"] for e in _log(part)] == [10, 20, 30, 40]
    assert load_file(str(whole / checkpoint.MODEL_FILE)).keys() == load_file(str(part / checkpoint.MODEL_FILE)).keys()
    for key, value in load_file(str(whole / checkpoint.MODEL_FILE)).items():
        assert torch.equal(value, load_file(str(part / checkpoint.MODEL_FILE))[key])


def test_training_into_an_existing_run_is_refused(moons_checkpoint: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(moons_checkpoint, run)
    before = (run / checkpoint.MODEL_FILE).read_bytes()
    with pytest.raises(CheckpointError, match="--resume"):
        train(moons_recipe(), run)
    assert (run / checkpoint.MODEL_FILE).read_bytes() == before


def test_resume_with_another_recipe_is_refused(moons_checkpoint: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(moons_checkpoint, run)
    with pytest.raises(CheckpointError, match="another recipe"):
        train(moons_recipe(prior="gaussian"), run, resume=True)


def test_config_json_rebuilds_the_recipe(moons_checkpoint: Path) -> None:
    from dpzoo.recipe import Recipe

    config = checkpoint.read_config(moons_checkpoint)
    assert Recipe.from_dict(config) == moons_recipe()
    assert config["plugins"]["prior"] == {"name": "decoupled", "distribution": "dpzoo", "version": config["dpzoo_version"]}
