"""The standard VAE prior p(z) = N(0, I): the decoupled prior with g = identity."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from dpzoo.prior import Prior


@dataclass(frozen=True)
class GaussianPriorConfig:
    analytic_kl: bool = True  # closed-form KL; False gives eq. 5's one-sample estimate, as the dp prior uses


class GaussianPrior(Prior):
    """p(z) = N(z; 0, I); representation and generation spaces coincide."""

    Config = GaussianPriorConfig

    def to_generation(self, z: Tensor) -> tuple[Tensor, Tensor]:
        return z, z.new_zeros(z.shape[:-1])

    def from_generation(self, u: Tensor) -> Tensor:
        return u

    def kl(self, mu: Tensor, logvar: Tensor, z: Tensor) -> Tensor:
        if not self.config.analytic_kl:
            return super().kl(mu, logvar, z)
        return 0.5 * (mu.pow(2) + torch.exp(logvar) - 1 - logvar).sum(-1)
