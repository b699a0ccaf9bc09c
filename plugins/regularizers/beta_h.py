"""β-VAE-H (Higgins et al., ICLR 2017): reconstruction − β·KL(q(z|x) ‖ p(z)).

A β > 1 presses q(z|x) towards the prior, which is where the paper's "pockets" come from: the
aggregate posterior no longer covers the prior's high-density region. With the decoupled prior the
KL is eq. 5 evaluated through the flow, so the same β acts on a learned p(z).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from dpzoo.prior import Prior
from dpzoo.regularizer import ForwardOutput, Regularizer


@dataclass(frozen=True)
class BetaVAEHConfig:
    beta: float = 5.0  # authors' config/beta/mnist.json

    def __post_init__(self) -> None:
        if self.beta < 0:
            raise ValueError("beta must be non-negative")


class BetaVAEH(Regularizer):
    Config = BetaVAEHConfig

    def loss(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        reconstruction = -out.log_likelihood.mean()
        kl = out.kl.mean()
        return {"loss": reconstruction + self.config.beta * kl, "reconstruction": reconstruction, "kl": kl}
