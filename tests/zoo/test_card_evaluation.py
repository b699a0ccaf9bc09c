"""Evaluation results in the model card: model-index entries, the table, and reruns that replace numbers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from dpzoo import card as cards
from dpzoo.evaluate.context import EvaluationSettings
from dpzoo.evaluate.runner import EvaluationReport
from dpzoo.metric import MetricResult, Score

CONFIG = {
    "dataset": {"name": "mnist", "config": {}},
    "model": {"architecture": {"name": "conv28"}, "prior": {"name": "decoupled"}, "regularizer": {"name": "vae"}, "latent_dim": 16},
    "training": {"steps": 10, "batch_size": 100, "lr": 0.001, "seed": 0},
}


def _report(values: dict[str, float | None], seed: int = 0, pictures: dict[str, str] | None = None) -> EvaluationReport:
    results = []
    for metric, value in values.items():
        scores = (Score(metric.replace("-", "_"), metric.upper(), value),)
        if metric == "nll":
            scores += (Score("nll_bits_per_dim", "NLL (bits/dim)", None if value is None else value / 543.4),)
        results.append(MetricResult(metric, scores, f"{metric} on 10 | 20 images", {"samples": 10}, 1.5))
    return EvaluationReport(
        results=tuple(results), dataset="mnist", split="test", data="MNIST test split: 10,000 digits", examples=10_000,
        settings=EvaluationSettings(seed=seed), timings={}, reference_cached=None, pictures=pictures or {},
    )  # fmt: skip


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    directory = tmp_path / "run"
    directory.mkdir()
    (directory / "model.safetensors").write_bytes(b"weights")
    cards.write_training_card(directory, CONFIG, 10)
    return directory


def _metrics(card: ModelCard) -> dict[str, float]:
    return {r.metric_type: r.metric_value for r in card.data.eval_results or []}


def test_the_card_gets_one_model_index_result_per_score_with_its_provenance(checkpoint: Path) -> None:
    path = cards.write_evaluation(_report({"fid": 41.5, "nll": 90.0}, seed=7), checkpoint, checkpoint, CONFIG)
    card = ModelCard.load(path)
    assert _metrics(card) == {"fid": 41.5, "nll": 90.0, "nll_bits_per_dim": pytest.approx(90 / 543.4, rel=1e-5)}
    fid = next(r for r in card.data.eval_results if r.metric_type == "fid")
    assert (fid.dataset_type, fid.dataset_split, fid.dataset_name) == ("mnist", "test", "MNIST test split: 10,000 digits")
    assert fid.metric_config == "fid" and fid.metric_args["samples"] == 10 and fid.metric_args["seed"] == 7
    assert fid.metric_args["dpzoo_version"] and fid.metric_args["date"]
    assert card.data.model_name == "run"
    assert card.data.dpzoo["evaluation"]["fid"]["weights_sha256"] == hashlib.sha256(b"weights").hexdigest()
    assert cards.NOT_EVALUATED not in card.text
    assert "| FID | 41.5 | fid on 10 \\| 20 images | 7 |" in card.text  # a | inside a cell is escaped
    assert card.data.dpzoo["trained_steps"] == 10  # the training part of the card is kept


def test_rerunning_replaces_numbers_and_keeps_metrics_not_rerun(checkpoint: Path) -> None:
    cards.write_evaluation(_report({"fid": 41.5, "skl": 1.2}), checkpoint, checkpoint, CONFIG)
    path = cards.write_evaluation(_report({"fid": 39.0}), checkpoint, checkpoint, CONFIG)
    card = ModelCard.load(path)
    assert _metrics(card) == {"fid": 39.0, "skl": 1.2}
    assert card.text.count("| FID |") == 1 and "41.5" not in card.text
    assert card.text.count(cards.EVALUATION_START) == 1 and card.content.count("model-index") == 1


def test_undefined_scores_are_shown_but_left_out_of_the_model_index(checkpoint: Path) -> None:
    card = ModelCard.load(cards.write_evaluation(_report({"leakage": None}), checkpoint, checkpoint, CONFIG))
    assert card.data.eval_results is None
    assert "| LEAKAGE | n/a |" in card.text


def test_a_card_without_the_placeholder_gets_the_section_appended_once(checkpoint: Path) -> None:
    readme = checkpoint / "README.md"
    readme.write_text(readme.read_text().replace(cards.NOT_EVALUATED, "Hand-written notes."))
    cards.write_evaluation(_report({"fid": 1.0}), checkpoint, checkpoint, CONFIG)
    text = cards.write_evaluation(_report({"fid": 2.0}), checkpoint, checkpoint, CONFIG).read_text()
    assert "Hand-written notes." in text and text.count("## Evaluation") == 1 and "| FID | 2 |" in text


def test_writing_elsewhere_copies_the_checkpoints_card_and_links_pictures_relatively(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    (out / "eval").mkdir(parents=True)
    (out / "eval" / "samples.png").write_bytes(b"png")
    original = (checkpoint / "README.md").read_text()
    path = cards.write_evaluation(_report({"fid": 3.0}, pictures={"Random samples": str(out / "eval" / "samples.png")}), out, checkpoint, CONFIG)
    assert path == out / "README.md" and (checkpoint / "README.md").read_text() == original
    text = path.read_text()
    assert "![Random samples](eval/samples.png)" in text and "# run" in text
    again = cards.write_evaluation(_report({"skl": 1.0}, pictures={"Random samples": str(out / "eval" / "samples.png")}), out, checkpoint, CONFIG)
    assert _metrics(ModelCard.load(again)) == {"fid": 3.0, "skl": 1.0}  # the second run merged into out's card
    assert ModelCard.load(again).text.count("](eval/samples.png)") == 1


def test_metrics_appear_in_the_papers_order_whatever_order_they_were_run_in(checkpoint: Path) -> None:
    cards.write_evaluation(_report({"leakage": 1.0, "skl": 2.0}), checkpoint, checkpoint, CONFIG)
    text = cards.write_evaluation(_report({"fid": 3.0}), checkpoint, checkpoint, CONFIG).read_text()
    body = text.split(cards.EVALUATION_START)[1]
    assert body.index("| FID |") < body.index("| SKL |") < body.index("| LEAKAGE |")
