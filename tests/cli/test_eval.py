"""`dpzoo eval`, `dpzoo card` and `dpzoo traverse` as a user runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from PIL import Image

from dpzoo import pretrained

SMALL = ["--metric", "skl", "--metric", "nll", "--set", "skl.samples=200", "--set", "nll.importance_samples=4", "--set", "nll.examples=40"]


@pytest.fixture
def checkpoint(moons_checkpoint: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "moons"
    shutil.copytree(moons_checkpoint, copy)
    return copy


@pytest.fixture
def no_weights(tmp_path: Path) -> dict[str, str]:
    return {"TORCH_HOME": str(tmp_path / "torch"), "DPZOO_INCEPTION_WEIGHTS": ""}


def test_eval_writes_the_numbers_into_the_card_that_dpzoo_card_shows_and_a_rerun_replaces_them(dpzoo_cli, checkpoint: Path) -> None:  # noqa: ANN001
    first = dpzoo_cli("eval", str(checkpoint), *SMALL)
    assert first.returncode == 0, first.stderr
    assert "sKL" in first.stdout and "NLL (bits/dim)" in first.stdout
    card = ModelCard.load(checkpoint / "README.md")
    keys = [r.metric_type for r in card.data.eval_results]
    assert sorted(keys) == ["kl_posterior_prior", "kl_prior_posterior", "negative_elbo", "nll", "nll_bits_per_dim", "skl"]
    rerun = dpzoo_cli("eval", str(checkpoint), "--metric", "skl", "--set", "skl.samples=300", "--seed", "1")
    assert rerun.returncode == 0, rerun.stderr
    card = ModelCard.load(checkpoint / "README.md")
    assert sorted(r.metric_type for r in card.data.eval_results) == sorted(keys)  # replaced, not duplicated
    skl = next(r for r in card.data.eval_results if r.metric_type == "skl")
    assert skl.metric_args["samples"] == 300 and skl.metric_args["seed"] == 1
    assert card.text.count("| sKL |") == 1
    shown = dpzoo_cli("card", str(checkpoint))
    assert shown.returncode == 0, shown.stderr
    assert "Evaluation" in shown.stdout and "NLL (bits/dim)" in shown.stdout and "no evaluation recorded" not in shown.stdout


def test_eval_without_inception_weights_stops_with_one_line_saying_where_to_put_them(dpzoo_cli, tmp_path: Path, no_weights) -> None:  # noqa: ANN001
    result = dpzoo_cli("eval", "--metric", "fid", "--out", str(tmp_path / "out"), env=no_weights)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert str(tmp_path / "torch" / "hub" / "checkpoints") in result.stderr and "--inception-weights" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_settings_are_one_line_errors(dpzoo_cli, checkpoint: Path) -> None:  # noqa: ANN001
    for args, message in [
        (["--set", "skl.samples"], "is not METRIC.FIELD=VALUE"),
        (["--metric", "skl", "--set", "skl.samples=many"], "must be a number"),
    ]:
        result = dpzoo_cli("eval", str(checkpoint), *args)
        assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_eval_of_the_embedded_model_writes_beside_the_user_not_into_the_package(dpzoo_cli, tmp_path: Path) -> None:  # noqa: ANN001
    before = (pretrained.EMBEDDED / "README.md").read_text()
    result = dpzoo_cli("eval", "--metric", "skl", "--set", "skl.samples=200", "--no-pictures", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    card = ModelCard.load(tmp_path / "dpvae-mnist-eval" / "README.md")
    assert [r.metric_type for r in card.data.eval_results if r.metric_config == "skl"] == ["skl", "kl_prior_posterior", "kl_posterior_prior"]
    assert (pretrained.EMBEDDED / "README.md").read_text() == before


def test_traverse_writes_one_row_per_dimension(dpzoo_cli, tmp_path: Path) -> None:  # noqa: ANN001
    result = dpzoo_cli("traverse", "--dim", "0", "--dim", "5", "--steps", "7", "--out", "t.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "t.png").size == (7 * 30 + 2, 2 * 30 + 2)
    bad = dpzoo_cli("traverse", "--dim", "16", "--out", "t.png", cwd=tmp_path)
    assert bad.returncode == 1 and "latent dimension 16 does not exist; this model has dimensions 0 to 15" in bad.stderr
