"""The built-in metric plugins: each number checked against an independent computation.

FID's plumbing (sampling, 8-bit quantization, reference caching) is checked with an explicit stand-in
feature extractor (pooled pixels), so these tests need no Inception weights; the Inception features
themselves are checked in tests/zoo/evaluate/test_inception.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pytorch_fid.fid_score import calculate_frechet_distance

from dpzoo import registry
from dpzoo.model import DPVAE
from dpzoo.recipe import Recipe
from dpzoo.evaluate.aggregate_posterior import aggregate_posterior_log_prob, low_posterior_samples, sample_aggregate_posterior
from dpzoo.evaluate.context import EvaluationContext, EvaluationData
from dpzoo.evaluate.importance import importance_sampled_log_likelihood
from dpzoo.evaluate.knn_kl import knn_kl_divergence


class PooledPixels:
    """A stand-in feature extractor: 4×4 average-pooled pixels (49 features for 28×28)."""

    identity = "pooled-pixels"

    def __call__(self, batches, progress=None) -> np.ndarray:  # noqa: ANN001
        return np.concatenate([F.avg_pool2d(b, 4).flatten(1).double().numpy() for b in batches])


def _pixel_fid(images: torch.Tensor, reference: torch.Tensor) -> float:
    def stats(x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        features = F.avg_pool2d(x, 4).flatten(1).double().numpy()
        return features.mean(0), np.cov(features, rowvar=False)

    return calculate_frechet_distance(*stats(torch.round(images.clamp(0, 1) * 255) / 255), *stats(reference))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DPZOO_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def moons_model():  # noqa: ANN201
    """An untrained decoupled-prior VAE on two moons: every number below is recomputed independently."""
    recipe = Recipe.create("two-moons", "decoupled", "vae", None, 2, {"dataset": {"train_size": 500, "test_size": 500}})
    torch.manual_seed(0)
    model = DPVAE.from_config(recipe.model).eval()
    model.run_config = recipe.to_dict()
    return model


@pytest.fixture(scope="module")
def mnist_data(mnist_model) -> EvaluationData:  # noqa: ANN001
    full = EvaluationData.of(mnist_model, "test")
    return EvaluationData(full.dataset, full.split, full.description, full.x[:300])


def _context(model, data: EvaluationData, with_pixels: bool = False) -> EvaluationContext:  # noqa: ANN001
    context = EvaluationContext(model, data)
    if with_pixels:
        context.inception = PooledPixels()
    return context


def _metric(name: str, **settings):  # noqa: ANN202
    cls = registry.get("metric", name)
    return cls(cls.Config(**settings))


def test_every_metric_is_registered_under_its_name() -> None:
    assert {"fid", "fid-lp", "skl", "nll", "leakage"} <= set(registry.names("metric"))


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::scipy.linalg.LinAlgWarning")
def test_fid_compares_quantized_prior_samples_with_the_evaluation_set(mnist_model, mnist_data, home: Path) -> None:  # noqa: ANN001
    context = _context(mnist_model, mnist_data, with_pixels=True)
    (score,) = _metric("fid", samples=200).compute(context)
    with torch.no_grad():
        images = mnist_model.decode(mnist_model.prior.sample(200, generator=context.generator("fid")))
    assert score.key == "fid"
    assert score.value == pytest.approx(_pixel_fid(images, mnist_data.x), rel=1e-6)
    assert context.reference[1] is False and len(list((home / "fid-statistics").iterdir())) == 1
    again = _context(mnist_model, mnist_data, with_pixels=True)
    assert _metric("fid", samples=200).compute(again)[0].value == pytest.approx(score.value, rel=1e-12)
    assert again.reference[1] is True  # the second evaluation read the cached reference statistics


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::scipy.linalg.LinAlgWarning")
def test_fid_lp_scores_the_low_posterior_samples(mnist_model, mnist_data, home: Path) -> None:  # noqa: ANN001
    context = _context(mnist_model, mnist_data, with_pixels=True)
    (score,) = _metric("fid-lp", samples=100, oversample=4).compute(context)
    mu, logvar = context.posterior
    z = low_posterior_samples(mnist_model.prior, 100, mu, logvar, context.generator("fid-lp"), 4)
    with torch.no_grad():
        images = mnist_model.decode(z)
    assert score.value == pytest.approx(_pixel_fid(images, mnist_data.x), rel=1e-6)


def test_image_metrics_refuse_point_data(moons_model) -> None:  # noqa: ANN001
    from dpzoo.errors import EvaluationError

    context = _context(moons_model, EvaluationData.of(moons_model, "test"))
    with pytest.raises(EvaluationError, match="fid needs image data.*two-moons"):
        _metric("fid", samples=10).compute(context)


def test_skl_is_the_knn_estimate_in_generation_space(moons_model) -> None:  # noqa: ANN001
    model = moons_model
    context = _context(model, EvaluationData.of(model, "test"))
    scores = {s.key: s.value for s in _metric("skl", samples=800).compute(context)}
    generator = context.generator("skl")
    mu, logvar = context.posterior
    with torch.no_grad():
        u_posterior = model.to_generation(sample_aggregate_posterior(800, mu, logvar, generator)).double().numpy()
    u_prior = torch.randn(800, 2, generator=generator).double().numpy()
    assert scores["kl_prior_posterior"] == pytest.approx(knn_kl_divergence(u_prior, u_posterior), rel=1e-9)
    assert scores["kl_posterior_prior"] == pytest.approx(knn_kl_divergence(u_posterior, u_prior), rel=1e-9)
    assert scores["skl"] == pytest.approx(scores["kl_prior_posterior"] + scores["kl_posterior_prior"], rel=1e-12)


def test_nll_reports_nats_bits_per_dim_and_the_elbo(moons_model) -> None:  # noqa: ANN001
    data = EvaluationData.of(moons_model, "test")
    context = _context(moons_model, data)
    scores = {s.key: s.value for s in _metric("nll", importance_samples=16, examples=120).compute(context)}
    generator = context.generator("nll")  # the metric runs batches of 100 examples through one generator
    bounds = [importance_sampled_log_likelihood(moons_model, x, 16, generator) for x in (data.x[:100], data.x[100:120])]
    log_likelihood = torch.cat([b.log_likelihood for b in bounds])
    elbo = torch.cat([b.elbo for b in bounds])
    assert scores["nll"] == pytest.approx(-log_likelihood.mean().item(), rel=1e-9)
    assert scores["negative_elbo"] == pytest.approx(-elbo.mean().item(), rel=1e-9)
    assert scores["nll_bits_per_dim"] == pytest.approx(scores["nll"] / (2 * math.log(2)))
    assert scores["negative_elbo"] > scores["nll"]  # the ELBO is the looser bound


def test_leakage_is_the_mean_log_ratio_below_each_threshold(mnist_model, mnist_data, tmp_path: Path) -> None:  # noqa: ANN001
    context = EvaluationContext(mnist_model, mnist_data, pictures_dir=tmp_path)
    metric = _metric("leakage", samples=500, thresholds=(-3.0, 0.0, 5.0))
    scores = metric.compute(context)
    mu, logvar = context.posterior
    z = sample_aggregate_posterior(500, mu, logvar, context.generator("leakage"))
    with torch.no_grad():
        log_p = mnist_model.prior.log_prob(z).double()
    gap = (aggregate_posterior_log_prob(z, mu, logvar) - log_p).numpy()
    for score, tau in zip(scores, (-3.0, 0.0, 5.0)):
        below = log_p.numpy() < tau
        assert score.key == f"leakage_{tau:g}"
        if below.any():
            assert score.value == pytest.approx(gap[below].mean(), rel=1e-9)
        else:
            assert score.value is None
    assert metric.samples_below == [int((log_p < tau).sum()) for tau in (-3.0, 0.0, 5.0)]
    assert (tmp_path / "leakage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(context.pictures.values()) == [tmp_path / "leakage.png"]


def test_metric_configs_reject_nonsense() -> None:
    from dpzoo import config_io
    from dpzoo.errors import ConfigError

    for name, bad in [("fid", {"samples": 1}), ("fid-lp", {"oversample": 0}), ("skl", {"neighbours": 0}), ("nll", {"importance_samples": 0}), ("leakage", {"thresholds": []})]:
        with pytest.raises(ConfigError):
            config_io.from_dict(registry.get("metric", name).Config, bad, name)
