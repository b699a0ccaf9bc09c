"""The aggregate posterior q(z) = (1/N) Σₙ q(z|xₙ) of an evaluation set, evaluated exactly.

FID(LP), leakage and the high-posterior samples need log q(z) at many points z under all N posteriors
of the evaluation set (N = 10,000 for MNIST). Each log q(z|xₙ) is a diagonal Gaussian, so a block of
M points against a block of N posteriors is two matrix products; blocks are combined with a running
log-sum-exp, so memory stays bounded by `block` entries whatever M and N are.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from dpzoo.prior import Prior

BLOCK = 1 << 22  # entries of one (points × posteriors) block: 32 MiB in float64


def _block_log_density(z: Tensor, mu: Tensor, precision: Tensor, constant: Tensor) -> Tensor:
    """log N(zᵢ; μₙ, diag σₙ²) for every pair: −½ Σⱼ (zⱼ − μₙⱼ)²/σ²ₙⱼ + constantₙ, as matrix products."""
    quadratic = (z * z) @ precision.T - 2 * z @ (mu * precision).T + (mu * mu * precision).sum(-1)
    return -0.5 * quadratic + constant


@torch.no_grad()
def aggregate_posterior_log_prob(z: Tensor, mu: Tensor, logvar: Tensor, block: int = BLOCK) -> Tensor:
    """log q(zᵢ) = logsumexpₙ log q(zᵢ|xₙ) − log N for points z (M, d), posteriors μ, log σ² (N, d); float64."""
    z, mu, logvar = z.double(), mu.double().to(z.device), logvar.double().to(z.device)
    n, d = mu.shape
    precision = torch.exp(-logvar)
    constant = -0.5 * (logvar.sum(-1) + d * math.log(2 * math.pi))
    rows = max(1, min(len(z), block // max(1, min(n, block))))
    cols = max(1, block // rows)
    out = []
    for z_block in z.split(rows):
        total = torch.full((len(z_block),), -math.inf, dtype=torch.float64, device=z.device)
        for start in range(0, n, cols):
            stop = start + cols
            part = _block_log_density(z_block, mu[start:stop], precision[start:stop], constant[start:stop])
            total = torch.logaddexp(total, torch.logsumexp(part, dim=1))
        out.append(total - math.log(n))
    return torch.cat(out)


@torch.no_grad()
def sample_aggregate_posterior(n: int, mu: Tensor, logvar: Tensor, generator: torch.Generator) -> Tensor:
    """z ~ q(z): pick a posterior uniformly, then z ~ q(z|xₙ) (reparameterized)."""
    index = torch.randint(len(mu), (n,), generator=generator)
    noise = torch.randn(n, mu.shape[1], generator=generator)
    return mu[index] + noise * torch.exp(0.5 * logvar[index])


@torch.no_grad()
def low_posterior_samples(prior: Prior, n: int, mu: Tensor, logvar: Tensor, generator: torch.Generator, oversample: int = 10) -> Tensor:
    """The n of `oversample`·n prior samples z = g⁻¹(u), u ~ N(0, I), with the lowest log q(z) (paper §5.1, FID(LP)).

    These are the samples a regularized VAE draws from the pockets of its prior that no data point
    fills; with a decoupled prior such pockets should not exist.
    """
    device = next(iter(prior.parameters()), mu).device
    u = torch.randn(n * oversample, prior.latent_dim, generator=generator).to(device)
    z = prior.from_generation(u)
    log_q = aggregate_posterior_log_prob(z.cpu(), mu, logvar)
    return z[log_q.argsort()[:n].to(device)]


@torch.no_grad()
def high_posterior_samples(prior: Prior, n: int, mu: Tensor, logvar: Tensor, generator: torch.Generator, oversample: int = 10) -> Tensor:
    """The n of `oversample`·n samples z ~ q(z) with the lowest prior log p(z): data the prior hardly generates."""
    device = next(iter(prior.parameters()), mu).device
    z = sample_aggregate_posterior(n * oversample, mu, logvar, generator).to(device)
    return z[prior.log_prob(z).argsort()[:n]]
