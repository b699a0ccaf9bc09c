"""β-VAE-B (Burgess et al., 2018): reconstruction + γ·|KL(q(z|x) ‖ p(z)) − C|.

The capacity C grows linearly from 0 to C_max over C_stop steps and then stays, so the encoder may
carry more information about x as training goes on. C is in nats per example (Burgess et al.); the
authors' code compares it with the KL summed over a batch of 24, which makes their C per batch —
dpzoo averages every term over the batch, so here it is per example as in the paper it cites.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from dpzoo.prior import Prior
from dpzoo.regularizer import ForwardOutput, Regularizer


@dataclass(frozen=True)
class BetaVAEBConfig:
    gamma: float = 15.0  # authors' config/betab/mnist.json
    capacity_max: float = 25.0  # authors' C_max
    capacity_steps: int = 100_000  # authors' C_stop_iter

    def __post_init__(self) -> None:
        if self.gamma < 0 or self.capacity_max < 0:
            raise ValueError("gamma and capacity_max must be non-negative")
        if self.capacity_steps < 1:
            raise ValueError("capacity_steps must be at least 1")


class BetaVAEB(Regularizer):
    Config = BetaVAEBConfig

    def capacity(self, step: int) -> float:
        """C at training step `step`: C_max · min(step / C_stop, 1) [authors' code: clamp(C_max/C_stop·iter, 0, C_max)]."""
        c = self.config
        return c.capacity_max * min(max(step, 0) / c.capacity_steps, 1.0)

    def loss(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        reconstruction = -out.log_likelihood.mean()
        kl = out.kl.mean()
        capacity = kl.new_tensor(self.capacity(step))
        loss = reconstruction + self.config.gamma * (kl - capacity).abs()
        return {"loss": loss, "reconstruction": reconstruction, "kl": kl, "capacity": capacity}
