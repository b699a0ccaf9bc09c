"""`evaluate`: which metrics run, in which order, with which settings, and how it fails."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import needs_inception, real_inception_weights

from dpzoo.errors import ConfigError, EvaluationError, UnknownPluginError
from dpzoo.evaluate.context import EvaluationData
from dpzoo.evaluate.runner import evaluate
from dpzoo.model import DPVAE
from dpzoo.recipe import Recipe

SMALL = {"skl": {"samples": 200}, "nll": {"importance_samples": 4, "examples": 50}, "leakage": {"samples": 300}}


@pytest.fixture(scope="module")
def moons_model() -> DPVAE:
    recipe = Recipe.create("two-moons", "decoupled", "vae", None, 2, {"dataset": {"train_size": 300, "test_size": 300}})
    torch.manual_seed(0)
    model = DPVAE.from_config(recipe.model).eval()
    model.run_config = recipe.to_dict()
    return model


def test_point_data_runs_every_metric_but_the_image_ones_in_the_papers_order(moons_model: DPVAE, tmp_path: Path) -> None:
    report = evaluate(moons_model, overrides=SMALL, out_dir=tmp_path)
    assert [r.metric for r in report.results] == ["skl", "nll", "leakage"]
    assert report.results[0].settings == {"samples": 200, "neighbours": 1}
    assert report.dataset == "two-moons" and report.split == "test" and report.examples == 300
    assert set(report.timings) == {"skl", "nll", "leakage"} and report.reference_cached is None
    assert list(report.pictures.values()) == [str(tmp_path / "eval" / "leakage.png")]


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(moons_model: DPVAE) -> None:
    from dpzoo.evaluate.context import EvaluationSettings

    def values(seed: int) -> list[float | None]:
        report = evaluate(moons_model, ["skl", "nll"], {k: SMALL[k] for k in ("skl", "nll")}, EvaluationSettings(seed=seed), pictures=None)
        return [s.value for r in report.results for s in r.scores]

    assert values(0) == values(0)
    assert values(0) != values(1)


def test_a_metric_named_explicitly_must_fit_the_data(moons_model: DPVAE) -> None:
    with pytest.raises(EvaluationError, match="fid-lp needs image data"):
        evaluate(moons_model, ["fid-lp"], {"fid-lp": {"samples": 10}}, pictures=None)


def test_missing_inception_weights_stop_the_evaluation_before_any_metric_runs(mnist_model, tmp_path: Path, no_weights: None) -> None:  # noqa: ANN001
    data = EvaluationData("mnist", "test", "ten zeros", torch.zeros(10, 1, 28, 28))
    with pytest.raises(EvaluationError, match="pt_inception-2015-12-05-6726825d.pth"):
        evaluate(mnist_model, ["leakage", "fid"], out_dir=tmp_path, data=data)
    assert not (tmp_path / "eval").exists()  # leakage, listed first, never ran


def test_unknown_metrics_and_settings_for_metrics_not_run_are_errors(moons_model: DPVAE) -> None:
    with pytest.raises(UnknownPluginError, match="unknown metric 'fidd'; available: .*fid-lp"):
        evaluate(moons_model, ["fidd"])
    with pytest.raises(ConfigError, match="settings for metric 'nll', which is not being run"):
        evaluate(moons_model, ["skl"], {"nll": {"examples": 3}})
    with pytest.raises(ConfigError, match="metric 'skl' has no field 'sample'"):
        evaluate(moons_model, ["skl"], {"skl": {"sample": 3}})


@needs_inception
def test_fid_with_real_inception_records_its_reference_and_reads_it_from_the_cache_the_second_time(
    mnist_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    from dpzoo.evaluate.context import EvaluationContext, EvaluationSettings

    monkeypatch.setenv("DPZOO_HOME", str(tmp_path))
    full = EvaluationData.of(mnist_model, "test")
    data = EvaluationData(full.dataset, full.split, full.description, full.x[:6])
    settings = EvaluationSettings(inception_weights=str(real_inception_weights()), reference_size=4)
    first = evaluate(mnist_model, ["fid"], {"fid": {"samples": 4}}, settings, pictures=None, data=data)
    (result,) = first.results
    assert result.settings["reference_images"] == 4 and result.settings["feature_extractor"].startswith("pytorch-fid-0.3.0-pool3-")
    assert first.reference_cached is False and "reference statistics" in first.timings
    assert result.scores[0].value > 0  # an untrained decoder's blobs are far from digits
    cached, hit = EvaluationContext(mnist_model, data, settings).reference  # a second evaluation's lookup
    assert hit and cached.count == 4


THIRD_PARTY_METRIC = '''
from dataclasses import dataclass

import torch

from dpzoo.metric import Metric, Score


@dataclass(frozen=True)
class SpreadConfig:
    samples: int = 100


class Spread(Metric):
    """The mean distance of prior samples from the origin of z."""

    dpzoo_api = 1
    Config = SpreadConfig

    def compute(self, context):
        z = context.model.prior.sample(self.config.samples, generator=context.generator("spread"))
        return [Score("spread", "spread of z", z.norm(dim=1).mean().item())]

    def describe(self, context):
        return f"{self.config.samples} prior samples"
'''


def test_a_third_party_metric_runs_after_the_papers_and_reaches_the_card(
    moons_model: DPVAE, make_distribution, monkeypatch: pytest.MonkeyPatch, tmp_path: Path  # noqa: ANN001
) -> None:
    import sys

    from dpzoo import card as cards
    from dpzoo import registry
    from dpzoo.evaluate.context import EvaluationContext

    site = make_distribution("dpzoo-spread", {"dpzoo.metrics": {"spread": "spread_metric:Spread"}}, {"spread_metric": THIRD_PARTY_METRIC})
    monkeypatch.syspath_prepend(str(site))
    registry.refresh()
    try:
        report = evaluate(moons_model, overrides={**SMALL, "spread": {"samples": 50}}, pictures=None)
        assert [r.metric for r in report.results] == ["skl", "nll", "leakage", "spread"]
        generator = EvaluationContext(moons_model, EvaluationData.of(moons_model, "test")).generator("spread")
        with torch.no_grad():
            expected = moons_model.prior.sample(50, generator=generator).norm(dim=1).mean().item()
        assert report.results[-1].scores[0].value == pytest.approx(expected)
        (tmp_path / "model.safetensors").write_bytes(b"w")
        card = cards.write_evaluation(report, tmp_path, tmp_path, moons_model.run_config)
        assert "| spread of z |" in card.read_text() and "type: spread" in card.read_text()
    finally:
        sys.modules.pop("spread_metric", None)
        registry.refresh()


def test_a_broken_third_party_metric_is_skipped_with_a_warning_unless_named(
    moons_model: DPVAE, make_distribution, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    import sys
    import warnings

    from dpzoo import registry
    from dpzoo.errors import PluginLoadError

    site = make_distribution("dpzoo-broken", {"dpzoo.metrics": {"broken": "broken_metric:Broken"}}, {"broken_metric": "raise ImportError('no such backend')"})
    monkeypatch.syspath_prepend(str(site))
    registry.refresh()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = evaluate(moons_model, overrides=SMALL, pictures=None)
        assert [r.metric for r in report.results] == ["skl", "nll", "leakage"]
        messages = [str(w.message) for w in caught if issubclass(w.category, registry.PluginWarning)]
        assert messages == ["metric 'broken' from dpzoo-broken 0.1.0 failed to import (ImportError: no such backend); reinstall or fix that package; skipped"]
        with pytest.raises(PluginLoadError, match="metric 'broken' from dpzoo-broken"):
            evaluate(moons_model, ["broken"], pictures=None)
    finally:
        sys.modules.pop("broken_metric", None)
        registry.refresh()
