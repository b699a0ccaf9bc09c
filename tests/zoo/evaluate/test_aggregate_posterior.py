"""log q(z) under the aggregate posterior, and the low-/high-posterior samples ranked by it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dpzoo.evaluate.aggregate_posterior import (
    aggregate_posterior_log_prob,
    high_posterior_samples,
    low_posterior_samples,
    sample_aggregate_posterior,
)
from dpzoo.plugins.priors.decoupled import DecoupledPrior, DecoupledPriorConfig


def _loop_log_q(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """(1/N) Σₙ Πⱼ N(zⱼ; μₙⱼ, σ²ₙⱼ) point by point, in plain NumPy."""
    out = []
    for point in z:
        densities = []
        for m, lv in zip(mu, logvar):
            var = np.exp(lv)
            densities.append(np.prod(np.exp(-((point - m) ** 2) / (2 * var)) / np.sqrt(2 * math.pi * var)))
        out.append(np.log(np.mean(densities)))
    return np.array(out)


@pytest.mark.parametrize("block", [1 << 22, 7, 1])
def test_aggregate_posterior_log_prob_matches_a_plain_loop_for_any_block_size(block: int) -> None:
    generator = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(37, 3, generator=generator), torch.randn(37, 3, generator=generator) * 0.5
    z = torch.randn(11, 3, generator=generator) * 1.5
    expected = _loop_log_q(z.double().numpy(), mu.double().numpy(), logvar.double().numpy())
    np.testing.assert_allclose(aggregate_posterior_log_prob(z, mu, logvar, block=block).numpy(), expected, rtol=1e-10)


def test_aggregate_posterior_log_prob_stays_finite_far_from_every_posterior() -> None:
    mu, logvar = torch.zeros(5, 2), torch.full((5, 2), -6.0)
    value = aggregate_posterior_log_prob(torch.tensor([[40.0, -40.0]]), mu, logvar)
    assert torch.isfinite(value).all() and value.item() < -1e5


def test_samples_of_the_aggregate_posterior_have_its_mean_and_variance() -> None:
    mu = torch.tensor([[-2.0], [2.0]])
    logvar = torch.log(torch.tensor([[0.25], [1.0]]))
    z = sample_aggregate_posterior(40_000, mu, logvar, torch.Generator().manual_seed(0))
    # Mixture of N(−2, 0.25) and N(2, 1) with equal weights: mean 0, variance 0.625 + 4.
    assert z.mean().item() == pytest.approx(0.0, abs=0.03)
    assert z.var().item() == pytest.approx(4.625, rel=0.02)


def test_low_posterior_samples_are_the_prior_samples_with_the_lowest_log_q() -> None:
    prior = DecoupledPrior(2, DecoupledPriorConfig(blocks=2))
    mu, logvar = torch.randn(50, 2), torch.full((50, 2), -1.0)
    kept = low_posterior_samples(prior, 10, mu, logvar, torch.Generator().manual_seed(3), oversample=5)
    with torch.no_grad():
        u = torch.randn(50, 2, generator=torch.Generator().manual_seed(3))
        candidates = prior.from_generation(u)
    log_q = aggregate_posterior_log_prob(candidates, mu, logvar)
    expected = candidates[log_q.argsort()[:10]]
    torch.testing.assert_close(kept, expected)
    assert aggregate_posterior_log_prob(kept, mu, logvar).max() <= log_q.sort().values[10]


def test_high_posterior_samples_are_the_posterior_samples_with_the_lowest_prior_density() -> None:
    prior = DecoupledPrior(2, DecoupledPriorConfig(blocks=2))
    mu, logvar = torch.randn(50, 2) * 2, torch.full((50, 2), -1.0)
    kept = high_posterior_samples(prior, 8, mu, logvar, torch.Generator().manual_seed(4), oversample=4)
    candidates = sample_aggregate_posterior(32, mu, logvar, torch.Generator().manual_seed(4))
    with torch.no_grad():
        log_p = prior.log_prob(candidates)
        torch.testing.assert_close(kept, candidates[log_p.argsort()[:8]])
