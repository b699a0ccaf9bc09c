"""DIP-VAE (Kumar, Sattigeri & Balakrishnan, ICLR 2018): the ELBO plus a penalty that pushes the
covariance of the aggregate posterior q(z) towards the identity, the covariance of N(0, I).

DIP-VAE-I matches Cov_p(x)[μ(x)]; DIP-VAE-II matches the full Cov_q(z)[z] = E_p(x)[Σ(x)] + Cov_p(x)[μ(x)].
Both are estimated on the minibatch, and the penalty is

    λ_od Σ_{i≠j} Cov_ij² + λ_d Σ_i (Cov_ii − 1)².

Like every dpzoo regularizer it acts on the representation space z and sees the prior only through
the KL term of the ELBO, so the same class trains a DIP-VAE (Gaussian prior) and a DIP-dpVAE
(decoupled prior): there the flow g still maps q(z) onto the N(0, I) of the generation space, while
the penalty keeps the representation decorrelated (dpVAE paper, Appendix B).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from dpzoo.errors import ConfigError
from dpzoo.prior import Prior
from dpzoo.regularizer import ForwardOutput, Regularizer


@dataclass(frozen=True)
class DIPVAEConfig:
    variant: Literal["i", "ii"] = "i"  # "i": Cov of μ(x) (DIP-VAE-I); "ii": Cov of z under q(z) (DIP-VAE-II)
    lambda_od: float = 10.0  # weight of the off-diagonal entries (Kumar et al. 2018, §3)
    lambda_d: float = 100.0  # weight of the diagonal; Kumar et al. use 10·λ_od for DIP-VAE-I, λ_od for DIP-VAE-II

    def __post_init__(self) -> None:
        if self.lambda_od < 0 or self.lambda_d < 0:
            raise ConfigError(f"DIP-VAE weights must be non-negative, got lambda_od={self.lambda_od}, lambda_d={self.lambda_d}")


def covariance(mu: Tensor, logvar: Tensor, variant: Literal["i", "ii"]) -> Tensor:
    """The minibatch estimate of the covariance that DIP-VAE matches to the identity.

    The (biased, 1/N) covariance of the encoder means, plus for DIP-VAE-II the mean of the encoder
    variances on the diagonal: the law of total covariance for z ~ q(z) = E_p(x)[q(z|x)].
    """
    centered = mu - mu.mean(0, keepdim=True)
    cov = centered.T @ centered / mu.shape[0]
    if variant == "ii":
        cov = cov + torch.diag_embed(logvar.exp().mean(0))
    return cov


class DIPVAE(Regularizer):
    """Maximize the ELBO − λ_od Σ_{i≠j} Cov_ij² − λ_d Σ_i (Cov_ii − 1)²."""

    Config = DIPVAEConfig
    dpzoo_api = 1

    def loss(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        reconstruction = -out.log_likelihood.mean()
        kl = out.kl.mean()
        cov = covariance(out.mu, out.logvar, self.config.variant)
        diagonal = torch.diagonal(cov)
        off_diagonal = cov.pow(2).sum() - diagonal.pow(2).sum()
        on_diagonal = (diagonal - 1).pow(2).sum()
        penalty = self.config.lambda_od * off_diagonal + self.config.lambda_d * on_diagonal
        return {
            "loss": reconstruction + kl + penalty,
            "reconstruction": reconstruction,
            "kl": kl,
            "dip_off_diagonal": off_diagonal,
            "dip_diagonal": on_diagonal,
        }
