"""The MNIST (28×28) encoder and decoder of the authors' code.

Encoder: Conv(1→32,k4,s2,p1)–ReLU–Conv(32→32,k3)–ReLU–Conv(32→32,k4,s2,p1)–ReLU–Conv(32→32,k3)–ReLU–
flatten 512–Linear 256–ReLU–Linear 256–ReLU–Linear 2d. The decoder mirrors it with ConvTranspose.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from dpzoo.architecture import Architecture


@dataclass(frozen=True)
class Conv28Config:
    in_channels: int = 1
    channels: int = 32  # authors' code
    hidden: int = 256  # authors' code


class Conv28(Architecture):
    Config = Conv28Config

    def __init__(self, latent_dim: int, config: Conv28Config):
        super().__init__(latent_dim, config)
        c, h = config.channels, config.hidden
        self.data_shape = (config.in_channels, 28, 28)
        self.encoder = nn.Sequential(
            nn.Conv2d(config.in_channels, c, 4, 2, 1), nn.ReLU(),  # 14×14
            nn.Conv2d(c, c, 3, 1), nn.ReLU(),  # 12×12
            nn.Conv2d(c, c, 4, 2, 1), nn.ReLU(),  # 6×6
            nn.Conv2d(c, c, 3, 1), nn.ReLU(),  # 4×4
            nn.Flatten(),
            nn.Linear(c * 16, h), nn.ReLU(),
            nn.Linear(h, h), nn.ReLU(),
            nn.Linear(h, 2 * latent_dim),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, h), nn.ReLU(),
            nn.Linear(h, h), nn.ReLU(),
            nn.Linear(h, c * 16), nn.ReLU(),
            nn.Unflatten(1, (c, 4, 4)),
            nn.ConvTranspose2d(c, c, 3, 1), nn.ReLU(),  # 6×6
            nn.ConvTranspose2d(c, c, 4, 2, 1), nn.ReLU(),  # 12×12
            nn.ConvTranspose2d(c, c, 3, 1), nn.ReLU(),  # 14×14
            nn.ConvTranspose2d(c, config.in_channels, 4, 2, 1),  # 28×28
        )  # fmt: skip
