"""β-TCVAE (Chen et al., NeurIPS 2018): the KL split into index-code MI, total correlation and
dimension-wise KL, each with its own weight:

    loss = reconstruction + α·I_q(x; z) + β·TC(z) + γ·Σ_j KL(q(z_j) ‖ p(z_j))
    I  = E[log q(z|x) − log q(z)],  TC = E[log q(z) − log Π_j q(z_j)],  dim_kl = E[log Π_j q(z_j) − log p(z)]

q(z) = (1/N) Σ_n q(z|x_n) is estimated on the minibatch, either by minibatch-weighted sampling
(MWS: the batch's mixture, weight 1/B each) or by minibatch-stratified sampling (MSS, Chen et al.
App. C.2: weight 1/N for the example that drew z, (N−M)/(NM) for one other, 1/M for the rest,
M = B−1), which is unbiased for q(z) when the batch is drawn uniformly. The three terms telescope
to E[log q(z|x) − log p(z)], a one-sample estimate of the ELBO's KL.

With the decoupled prior, p(z_j) (a marginal of the flow's density) is not tractable. The authors'
code (`_get_log_pz_qz_prodzi_qzCx_fip`) puts the joint prior density in place of Π_j p(z_j), i.e.
dim_kl = E[log Π_j q(z_j) − log p(z)], which is what dpzoo does; for the Gaussian prior the two are
the same. Their code evaluates log N(g(z)) without log|det ∂g/∂z| (the `ELS` line is commented out),
which leaves p(z) unnormalized and lets the flow shrink u freely; dpzoo uses `prior.log_prob(z)`,
the density of the paper (log N(g(z)) + log|det|).

Two defects of the code the authors adapted (YannDubs/disentangling-vae) are not reproduced: its
MSS weight matrix writes whole columns instead of the diagonal (the stride bug of rtqichen/beta-tcvae
PR #1), and it adds the log weight once per dimension to log q(z). Chen et al. write MWS with
−log(NM) instead of −log B; that shifts each log-density by a constant (no effect on gradients) but
offsets the logged terms by multiples of log N, so dpzoo uses the batch mixture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from dpzoo.errors import ConfigError
from dpzoo.prior import Prior, gaussian_log_density
from dpzoo.regularizer import ForwardOutput, Regularizer

Sampling = Literal["stratified", "weighted"]


@dataclass(frozen=True)
class BetaTCVAEConfig:
    alpha: float = 1.0  # authors' config/betatc/dp_mnist.json (mutual information)
    beta: float = 4.0  # authors' config (total correlation)
    gamma: float = 150.0  # authors' config/betatc/dp_mnist.json (dimension-wise KL; their Gaussian-prior config: 15)
    sampling: Sampling = "stratified"  # authors' code: is_mss=True

    def __post_init__(self) -> None:
        if min(self.alpha, self.beta, self.gamma) < 0:
            raise ValueError("alpha, beta and gamma must be non-negative")


def pairwise_log_density(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """(B, B, d): entry [i, j, k] is log q(z_ik | x_j), every sample under every example's posterior."""
    return gaussian_log_density(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))


def log_weights(batch_size: int, dataset_size: int, sampling: Sampling) -> Tensor:
    """(B, B) log importance weights w_ij of example j in the estimate of q(z_i)."""
    if sampling == "weighted":
        return torch.full((batch_size, batch_size), -math.log(batch_size), dtype=torch.float64)
    n, m = dataset_size, batch_size - 1
    weights = torch.full((batch_size, batch_size), 1 / m, dtype=torch.float64)
    rows = torch.arange(batch_size)
    weights[rows, (rows + 1) % batch_size] = (n - m) / (n * m)
    weights[rows, rows] = 1 / n
    return weights.log()


def aggregate_posterior_log_probs(
    z: Tensor, mu: Tensor, logvar: Tensor, dataset_size: int, sampling: Sampling
) -> tuple[Tensor, Tensor]:
    """Per sample z_i: log q(z_i) and log Π_k q(z_ik), estimated on the minibatch."""
    densities = pairwise_log_density(z, mu, logvar)
    weights = log_weights(z.shape[0], dataset_size, sampling).to(z)
    log_qz = torch.logsumexp(densities.sum(2) + weights, dim=1)
    log_prod_marginals = torch.logsumexp(densities + weights.unsqueeze(2), dim=1).sum(1)
    return log_qz, log_prod_marginals


class BetaTCVAE(Regularizer):
    Config = BetaTCVAEConfig

    def loss(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        c = self.config
        batch, n = out.z.shape[0], self.context.dataset_size
        if batch < 2 or (c.sampling == "stratified" and n < batch - 1):
            raise ConfigError(
                f"β-TCVAE estimates q(z) on the minibatch: it needs 2 ≤ batch size ≤ dataset size + 1, "
                f"got batch {batch} with dataset size {n}; change --batch-size"
            )
        log_qz, log_prod_marginals = aggregate_posterior_log_probs(out.z, out.mu, out.logvar, n, c.sampling)
        log_qz_x = gaussian_log_density(out.z, out.mu, out.logvar).sum(1)
        reconstruction = -out.log_likelihood.mean()
        mi = (log_qz_x - log_qz).mean()
        tc = (log_qz - log_prod_marginals).mean()
        dim_kl = (log_prod_marginals - prior.log_prob(out.z)).mean()
        loss = reconstruction + c.alpha * mi + c.beta * tc + c.gamma * dim_kl
        return {
            "loss": loss, "reconstruction": reconstruction, "mi": mi, "tc": tc, "dim_kl": dim_kl,
            "kl": out.kl.mean(),
        }  # fmt: skip
