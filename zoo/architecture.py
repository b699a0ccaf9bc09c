"""The architecture interface: an encoder x → (μ, log σ²) and a decoder z → raw output."""

from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor, nn


class Architecture(nn.Module):
    """Base class of the `dpzoo.architectures` plugins.

    Subclasses set `encoder` (output: 2·latent_dim features, μ then log σ²), `decoder` (output:
    the raw likelihood parameters, shaped like the data) and `data_shape`.
    """

    Config: ClassVar[type]
    data_shape: tuple[int, ...]
    encoder: nn.Module
    decoder: nn.Module

    def __init__(self, latent_dim: int, config: Any):
        super().__init__()
        self.latent_dim = latent_dim
        self.config = config

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)
