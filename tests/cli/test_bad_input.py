"""Bad input: one line on stderr, a non-zero exit, and nothing on disk overwritten."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import dpzoo
from dpzoo import checkpoint


def _one_line_error(result) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("option", "value", "kind"),
    [("--regularizer", "nope", "regularizer"), ("--prior", "flowy", "prior"), ("--dataset", "imagenet", "dataset"), ("--architecture", "vit", "architecture")],
)
def test_unknown_plugin_names(dpzoo_cli, tmp_path: Path, option: str, value: str, kind: str) -> None:
    line = _one_line_error(dpzoo_cli("train", "--dataset", "two-moons", option, value, "--steps", "1", "--out", "r", cwd=tmp_path))
    assert f"unknown {kind} '{value}'; available:" in line
    assert not (tmp_path / "r").exists()


def test_config_from_a_missing_plugin(dpzoo_cli, moons_checkpoint: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(moons_checkpoint, run)
    config = json.loads((run / "config.json").read_text())
    config["model"]["regularizer"]["name"] = "dip"
    config["plugins"]["regularizer"] = {"name": "dip", "distribution": "dpzoo-dipvae", "version": "0.1.0"}
    (run / "config.json").write_text(json.dumps(config))
    line = _one_line_error(dpzoo_cli("sample", str(run), "--out", "x.png", cwd=tmp_path))
    assert "needs regularizer 'dip' from dpzoo-dipvae" in line
    assert not (tmp_path / "x.png").exists()


def test_evaluating_a_model_whose_dataset_plugin_is_missing(dpzoo_cli, moons_checkpoint: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(moons_checkpoint, run)
    config = json.loads((run / "config.json").read_text())
    assert config["plugins"]["dataset"] == {"name": "two-moons", "distribution": "dpzoo", "version": dpzoo.__version__}
    config["dataset"]["name"] = "spirals"
    config["plugins"]["dataset"] = {"name": "spirals", "distribution": "dpzoo-spirals", "version": "0.3.0"}
    (run / "config.json").write_text(json.dumps(config))
    before = (run / "README.md").read_text()
    line = _one_line_error(dpzoo_cli("eval", str(run), "--metric", "skl", cwd=tmp_path))
    assert "needs dataset 'spirals' from dpzoo-spirals; install it with `pip install dpzoo-spirals`" in line
    assert (run / "README.md").read_text() == before


def test_truncated_safetensors(dpzoo_cli, moons_checkpoint: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(moons_checkpoint, run)
    weights = run / checkpoint.MODEL_FILE
    weights.write_bytes(weights.read_bytes()[:-100])
    line = _one_line_error(dpzoo_cli("sample", str(run), "--out", "x.png", cwd=tmp_path))
    assert "truncated or corrupt" in line


@pytest.mark.parametrize("n", ["0", "-3"])
def test_non_positive_n(dpzoo_cli, tmp_path: Path, n: str) -> None:
    (tmp_path / "samples.png").write_bytes(b"keep me")
    line = _one_line_error(dpzoo_cli("sample", "--n", n, cwd=tmp_path))
    assert "--n must be at least 1" in line
    assert (tmp_path / "samples.png").read_bytes() == b"keep me"


def test_unwritable_out(dpzoo_cli, tmp_path: Path) -> None:
    """A path below a regular file can be written by nobody, root included."""
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    line = _one_line_error(dpzoo_cli("sample", "--n", "4", "--out", str(blocker / "x.png"), cwd=tmp_path))
    assert "cannot write" in line and "writable" in line
    assert blocker.read_text() == "keep me"


def test_out_is_a_directory(dpzoo_cli, tmp_path: Path) -> None:
    line = _one_line_error(dpzoo_cli("sample", "--n", "4", "--out", str(tmp_path), cwd=tmp_path))
    assert "is a directory" in line


def test_malformed_setting(dpzoo_cli, tmp_path: Path) -> None:
    line = _one_line_error(dpzoo_cli("train", "--dataset", "two-moons", "--set", "regularizer.beta", "--out", "r", cwd=tmp_path))
    assert "SECTION.FIELD=VALUE" in line
    line = _one_line_error(dpzoo_cli("train", "--dataset", "two-moons", "--set", "prior.blockz=3", "--out", "r", cwd=tmp_path))
    assert "no field 'blockz'" in line and "blocks" in line


@pytest.mark.parametrize("args", [("pull", "--bogus"), ("sample", "--n", "abc"), ("train", "--steps")])
def test_usage_errors_are_one_line(dpzoo_cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    line = _one_line_error(dpzoo_cli(*args, cwd=tmp_path))
    assert "dpzoo --help" in line
