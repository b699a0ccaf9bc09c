"""FactorVAE (Kim & Mnih, ICML 2018): the ELBO plus γ·TC(z), the total correlation estimated by a
discriminator (the density-ratio trick).

A discriminator D learns to tell samples of q(z) (class 0) from samples of Π_j q(z_j), made by
permuting each dimension of a batch of z independently across the batch (Kim & Mnih, Alg. 1). With
two logits, log D(z)/(1 − D(z)) = logit₀ − logit₁, so TC ≈ E_q(z)[logit₀ − logit₁]. The VAE minimizes
reconstruction + KL + γ·TC; D is trained afterwards on the same batch's detached z with its own Adam
(`auxiliary_step`). The authors' code permutes the z of a second batch; dpzoo permutes the same
batch, as disentanglement_lib does, which keeps one forward pass per step. TC acts on the
representation space z, so the decoupled prior changes only the KL term (eq. 5 through the flow).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dpzoo.prior import Prior
from dpzoo.regularizer import ForwardOutput, Regularizer, RegularizerContext


@dataclass(frozen=True)
class FactorVAEConfig:
    gamma: float = 1000.0  # authors' config/factor/mnist.json
    discriminator_width: int = 1000  # Kim & Mnih 2018 (authors' Discriminator: 1000 units)
    discriminator_layers: int = 5  # hidden layers, Kim & Mnih 2018
    discriminator_lr: float = 1e-4  # authors' D_lr
    discriminator_betas: tuple[float, float] = (0.5, 0.9)  # Kim & Mnih 2018; the authors' config uses (0.9, 0.999)

    def __post_init__(self) -> None:
        if self.gamma < 0:
            raise ValueError("gamma must be non-negative")
        if self.discriminator_width < 1 or self.discriminator_layers < 1:
            raise ValueError("discriminator_width and discriminator_layers must be at least 1")
        if self.discriminator_lr <= 0:
            raise ValueError("discriminator_lr must be positive")


def discriminator(latent_dim: int, width: int, layers: int) -> nn.Sequential:
    """MLP z → two logits (q(z), Π_j q(z_j)), LeakyReLU 0.2 between layers [Kim & Mnih, authors' code]."""
    modules: list[nn.Module] = []
    size = latent_dim
    for _ in range(layers):
        modules += [nn.Linear(size, width), nn.LeakyReLU(0.2)]
        size = width
    modules.append(nn.Linear(size, 2))
    return nn.Sequential(*modules)


def permute_dims(z: Tensor) -> Tensor:
    """Each column of z shuffled by its own random permutation of the batch: a sample of Π_j q(z_j)."""
    order = torch.argsort(torch.rand(z.shape, device=z.device), dim=0)
    return torch.gather(z, 0, order)


class FactorVAE(Regularizer):
    Config = FactorVAEConfig

    def __init__(self, config: FactorVAEConfig, context: RegularizerContext):
        super().__init__(config, context)
        self.discriminator = discriminator(context.latent_dim, config.discriminator_width, config.discriminator_layers)
        self._optimizer = torch.optim.Adam(
            self.discriminator.parameters(), lr=config.discriminator_lr, betas=tuple(config.discriminator_betas)
        )

    def total_correlation(self, z: Tensor) -> Tensor:
        """TC(z) ≈ mean of log D(z)/(1 − D(z)) = logit₀ − logit₁ over the batch."""
        logits = self.discriminator(z)
        return (logits[:, 0] - logits[:, 1]).mean()

    def loss(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        reconstruction = -out.log_likelihood.mean()
        kl = out.kl.mean()
        tc = self.total_correlation(out.z)
        loss = reconstruction + kl + self.config.gamma * tc
        return {"loss": loss, "reconstruction": reconstruction, "kl": kl, "tc": tc}

    def auxiliary_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"discriminator": self._optimizer}

    def auxiliary_step(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        """One Adam step of D: cross-entropy of q(z) samples as class 0, permuted samples as class 1.

        D is called through `replica`, which under torchrun is its DDP wrapper (gradients averaged
        over the processes); each process permutes its own share of the batch.
        """
        z = out.z.detach()
        logits = self.replica("discriminator")(torch.cat([z, permute_dims(z)]))
        labels = torch.cat([torch.zeros(len(z)), torch.ones(len(z))]).long().to(z.device)
        disc_loss = F.cross_entropy(logits, labels)
        self._optimizer.zero_grad(set_to_none=True)
        disc_loss.backward()
        self._optimizer.step()
        return {"disc_loss": disc_loss.detach()}
