"""The plain VAE objective: maximize the ELBO, E_q[log p(x|z)] − KL(q(z|x) ‖ p(z))."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from dpzoo.prior import Prior
from dpzoo.regularizer import ForwardOutput, Regularizer


@dataclass(frozen=True)
class VAEConfig:
    """The plain ELBO has no hyperparameters."""


class VAE(Regularizer):
    Config = VAEConfig

    def loss(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        reconstruction = -out.log_likelihood.mean()
        kl = out.kl.mean()
        return {"loss": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}
