"""The prior interface: p(z) through a bijection g between representation and generation space.

Every prior is written as p(z) = N(g(z); 0, I) · |det ∂g/∂z| (paper §3). The Gaussian prior is the
special case g = identity; the decoupled prior makes g an invertible flow. Regularizers act on z and
see the prior only through this interface, which is why any regularizer works with any prior.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from torch import Tensor, nn


def gaussian_log_density(x: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """log N(x; μ, σ²) elementwise (not summed): posteriors q(z|x) are diagonal Gaussians."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (x - mu).pow(2) * torch.exp(-logvar))


def standard_normal_log_prob(u: Tensor) -> Tensor:
    """log N(u; 0, I), summed over the last dimension."""
    return -0.5 * (u.pow(2).sum(-1) + u.shape[-1] * math.log(2 * math.pi))


class Prior(nn.Module, ABC):
    """Base class of the `dpzoo.priors` plugins."""

    Config: ClassVar[type]

    def __init__(self, latent_dim: int, config: Any):
        super().__init__()
        self.latent_dim = latent_dim
        self.config = config

    @abstractmethod
    def to_generation(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """u = g(z) and log|det ∂g/∂z| per example."""

    @abstractmethod
    def from_generation(self, u: Tensor) -> Tensor:
        """z = g⁻¹(u)."""

    def log_prob(self, z: Tensor) -> Tensor:
        u, log_det = self.to_generation(z)
        return standard_normal_log_prob(u) + log_det

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """z = g⁻¹(u) with u ~ N(0, I): how every dpzoo model generates."""
        device = next(iter(self.parameters()), torch.empty(0)).device
        u = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.from_generation(u)

    def kl(self, mu: Tensor, logvar: Tensor, z: Tensor) -> Tensor:
        """KL(q(z|x) ‖ p(z)) per example, eq. 5: analytic entropy of q, one-sample cross-entropy.

        −½ Σ_j (1 + log σ_j²) + ½‖g(z)‖² − log|det ∂g/∂z|; the log 2π terms of q and p cancel, so
        this is the exact single-sample estimate, not just up to a constant.
        """
        u, log_det = self.to_generation(z)
        return -0.5 * (1 + logvar).sum(-1) + 0.5 * u.pow(2).sum(-1) - log_det
