"""Fully connected encoder/decoder for low-dimensional data such as two moons [authors' code: 100–50]."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from dpzoo.architecture import Architecture


@dataclass(frozen=True)
class MLPConfig:
    data_dim: int = 2
    hidden: tuple[int, ...] = (100, 50)  # encoder widths; the decoder mirrors them


def _stack(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MLP(Architecture):
    Config = MLPConfig

    def __init__(self, latent_dim: int, config: MLPConfig):
        super().__init__(latent_dim, config)
        self.data_shape = (config.data_dim,)
        hidden = list(config.hidden)
        self.encoder = _stack([config.data_dim, *hidden, 2 * latent_dim])
        self.decoder = _stack([latent_dim, *reversed(hidden), config.data_dim])
