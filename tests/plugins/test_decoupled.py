"""The decoupled prior p(z) = N(g(z); 0, I)·|det ∂g/∂z| is a normalized density we can sample."""

from __future__ import annotations

import math

import torch

from dpzoo.plugins.priors.decoupled import DecoupledPrior, DecoupledPriorConfig
from dpzoo.plugins.priors.gaussian import GaussianPrior, GaussianPriorConfig


def _prior(seed: int = 0) -> DecoupledPrior:
    torch.manual_seed(seed)
    prior = DecoupledPrior(2, DecoupledPriorConfig(blocks=3)).double()
    with torch.no_grad():
        for p in prior.parameters():
            p.normal_(0, 0.5)
    return prior


def _grid(  # tanh bounds each block's log-scale by 1, so mass spreads up to e^blocks: a wide grid
limit: float = 40.0, n: int = 2001) -> tuple[torch.Tensor, float]:
    axis = torch.linspace(-limit, limit, n, dtype=torch.float64)
    zz = torch.cartesian_prod(axis, axis)
    return zz, (axis[1] - axis[0]).item() ** 2


def _density(prior: DecoupledPrior, zz: torch.Tensor) -> torch.Tensor:
    """exp(log_prob) on the grid in chunks, so the 4M-point grid's activations stay small."""
    with torch.no_grad():
        return torch.cat([prior.log_prob(chunk).exp() for chunk in zz.split(250_000)])


def test_log_prob_integrates_to_one_in_2d() -> None:
    prior = _prior()
    zz, cell = _grid()
    mass = _density(prior, zz).sum().item() * cell
    assert abs(mass - 1) < 0.01


def test_samples_follow_log_prob() -> None:
    """The fraction of samples in a box equals the box's probability mass under log_prob."""
    prior = _prior(1)
    with torch.no_grad():
        samples = prior.sample(100_000, generator=torch.Generator().manual_seed(0)).double()
    zz, cell = _grid()
    density = _density(prior, zz)
    for box in [(-1.0, 0.0, 0.0, 1.0), (0.0, 2.0, -2.0, 0.0), (-3.0, 3.0, -0.5, 0.5)]:
        x0, x1, y0, y1 = box
        inside = lambda p: (p[:, 0] > x0) & (p[:, 0] < x1) & (p[:, 1] > y0) & (p[:, 1] < y1)  # noqa: E731
        expected = (density * inside(zz)).sum().item() * cell
        observed = inside(samples).double().mean().item()
        assert abs(observed - expected) < 4 * math.sqrt(expected * (1 - expected) / 100_000) + 3e-3


def test_identity_flow_equals_gaussian() -> None:
    prior = _prior()
    with torch.no_grad():
        for net in [*prior.flow.s, *prior.flow.t]:
            net[-2].weight.zero_()
            net[-2].bias.zero_()  # s = t = 0: every block is the identity
    gaussian = GaussianPrior(2, GaussianPriorConfig(analytic_kl=False)).double()
    z = torch.randn(100, 2, dtype=torch.float64)
    torch.testing.assert_close(prior.log_prob(z), gaussian.log_prob(z), rtol=0, atol=0)
    mu, logvar = torch.randn(100, 2, dtype=torch.float64), torch.randn(100, 2, dtype=torch.float64)
    torch.testing.assert_close(prior.kl(mu, logvar, z), gaussian.kl(mu, logvar, z), rtol=0, atol=0)
