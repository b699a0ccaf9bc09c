"""The regularizer interface: the training objective that acts on the representation space z.

A regularizer turns one forward pass into named loss terms. It sees the prior only through the
`Prior` interface (log_prob, sample, kl), so the same regularizer trains a VAE (Gaussian prior) and
its dpVAE (decoupled prior) without special cases (paper, Appendix B). What the later regularizers of
the paper need is already here: the step counter (β-VAE-B's capacity), the dataset size (β-TCVAE's
minibatch weights), prior samples (InfoVAE's MMD), and modules with their own optimizer that are
updated after the main step (FactorVAE's discriminator).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from .prior import Prior


@dataclass(frozen=True)
class RegularizerContext:
    """Facts about the training run that a regularizer may need and cannot compute from a batch."""

    latent_dim: int
    dataset_size: int


@dataclass
class ForwardOutput:
    """One pass of a batch through the VAE: what every regularizer builds its loss from."""

    x: Tensor
    raw: Tensor  # decoder output before the likelihood's link
    mu: Tensor
    logvar: Tensor
    z: Tensor  # one reparameterized sample of q(z|x)
    log_likelihood: Tensor  # log p(x|z), per example
    kl: Tensor  # KL(q(z|x) ‖ p(z)) per example, as the prior computes it (eq. 5)


class Regularizer(nn.Module, ABC):
    """Base class of the `dpzoo.regularizers` plugins.

    `loss` returns a dict of scalar tensors: "loss" is minimized, every other entry is a term that
    the trainer logs under its name (reconstruction, kl, tc, mmd, capacity, …).
    """

    Config: ClassVar[type]

    def __init__(self, config: Any, context: RegularizerContext):
        super().__init__()
        self.config = config
        self.context = context
        self._replicas: dict[str, nn.Module] = {}

    @abstractmethod
    def loss(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        """The objective for this batch at training step `step` (0-based)."""

    def auxiliary_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Optimizers of modules that are trained apart from the VAE, created once, by name."""
        return {}

    def auxiliary_parameters(self) -> list[nn.Parameter]:
        """Parameters that the auxiliary optimizers own, excluded from the VAE's optimizer."""
        return [p for opt in self.auxiliary_optimizers().values() for g in opt.param_groups for p in g["params"]]

    def auxiliary_step(self, out: ForwardOutput, prior: Prior, step: int) -> dict[str, Tensor]:
        """Called after the VAE's optimizer step with the same (detached) batch; returns logged terms.

        Call auxiliary modules as `self.replica("name")(...)` here, so that under torchrun their
        gradients are averaged across processes like the VAE's.
        """
        return {}

    def replicate(self, wrap: Callable[[nn.Module], nn.Module]) -> None:
        """Keep `wrap(child)` (DistributedDataParallel, from the trainer under torchrun) of each child
        module that only the auxiliary optimizers train. The child stays registered as it is, so
        checkpoints have the same keys however many processes wrote them."""
        own = {id(p) for p in self.auxiliary_parameters()}
        self._replicas = {}
        for name, child in self.named_children():
            params = {id(p) for p in child.parameters()}
            if params and params <= own:
                self._replicas[name] = wrap(child)

    def replica(self, name: str) -> nn.Module:
        """The child module `name` as `auxiliary_step` trains it: its DDP wrapper under torchrun, else itself."""
        return self._replicas[name] if name in self._replicas else self.get_submodule(name)
