"""−log p(x) by importance sampling with the encoder as proposal (Burda et al. 2016), and the ELBO beside it.

  log p(x) ≈ log (1/K) Σₖ p(x|zₖ) p(zₖ) / q(zₖ|x),   zₖ ~ q(z|x),

a lower bound that tightens as K grows and is exact for any K when q(z|x) is the true posterior.
The mean of the same log-weights is the ELBO, which is what the dpVAE authors' code reported as
"NLL"; we report both, labelled. p(z) is the model's prior (through the flow for a dpVAE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from dpzoo.model import DPVAE
from dpzoo.prior import gaussian_log_density

ROWS = 5_000  # decoder inputs per pass: bounds memory whatever K is


@dataclass(frozen=True)
class LikelihoodBounds:
    """Per example: the importance-sampled log p(x) and the ELBO, in nats."""

    log_likelihood: Tensor
    elbo: Tensor


@torch.no_grad()
def importance_sampled_log_likelihood(model: DPVAE, x: Tensor, samples: int, generator: torch.Generator, rows: int = ROWS) -> LikelihoodBounds:
    """log p(x) estimated from `samples` proposals per example of the batch `x`, and the ELBO from the same draws."""
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    per_pass = max(1, rows // len(x))
    log_weights = []
    for start in range(0, samples, per_pass):
        k = min(per_pass, samples - start)
        noise = torch.randn(len(x), k, mu.shape[1], generator=generator).to(mu.device)
        z = mu[:, None] + noise * std[:, None]
        flat = z.reshape(-1, mu.shape[1])
        targets = x.repeat_interleave(k, dim=0)
        log_px_z = model.likelihood.log_prob(model.architecture.decode(flat), targets)
        log_pz = model.prior.log_prob(flat)
        log_qz_x = gaussian_log_density(z, mu[:, None], logvar[:, None]).sum(-1).reshape(-1)
        log_weights.append((log_px_z + log_pz - log_qz_x).reshape(len(x), k).double())
    weights = torch.cat(log_weights, dim=1)
    return LikelihoodBounds(torch.logsumexp(weights, dim=1) - math.log(samples), weights.mean(dim=1))
