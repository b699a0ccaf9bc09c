"""The SVHN (32×32) encoder and decoder of the authors' code (`BetaVAE_SVHN`).

Encoder: four stages of [Conv–BN–ReLU, Conv(k3,p1)–BN–ReLU], the first of each stage taking
32→16→8 (k4,s2,p1) and then 8→6→4 (k3, no padding); flatten 32·4·4 → Linear 2d. The decoder mirrors
it without BatchNorm: Linear d→512–ReLU, then [ConvTranspose–ReLU, Conv(k3,p1)–ReLU] 4→6→8→16→32,
the last Conv giving the image channels. All convolutions have 32 channels.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from dpzoo.architecture import Architecture


@dataclass(frozen=True)
class Conv32Config:
    in_channels: int = 3
    channels: int = 32  # authors' code


def _encoder_stage(c: int, down: nn.Conv2d) -> list[nn.Module]:
    return [down, nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU()]


def _decoder_stage(c: int, up: nn.ConvTranspose2d) -> list[nn.Module]:
    return [up, nn.ReLU(), nn.Conv2d(c, c, 3, 1, 1), nn.ReLU()]


class Conv32(Architecture):
    Config = Conv32Config

    def __init__(self, latent_dim: int, config: Conv32Config):
        super().__init__(latent_dim, config)
        c, c_in = config.channels, config.in_channels
        self.data_shape = (c_in, 32, 32)
        self.encoder = nn.Sequential(
            *_encoder_stage(c, nn.Conv2d(c_in, c, 4, 2, 1)),  # 16×16
            *_encoder_stage(c, nn.Conv2d(c, c, 4, 2, 1)),  # 8×8
            *_encoder_stage(c, nn.Conv2d(c, c, 3, 1, 0)),  # 6×6
            *_encoder_stage(c, nn.Conv2d(c, c, 3, 1, 0)),  # 4×4
            nn.Flatten(),
            nn.Linear(c * 16, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, c * 16), nn.ReLU(),
            nn.Unflatten(1, (c, 4, 4)),
            *_decoder_stage(c, nn.ConvTranspose2d(c, c, 3, 1, 0)),  # 6×6
            *_decoder_stage(c, nn.ConvTranspose2d(c, c, 3, 1, 0)),  # 8×8
            *_decoder_stage(c, nn.ConvTranspose2d(c, c, 4, 2, 1)),  # 16×16
            nn.ConvTranspose2d(c, c, 4, 2, 1), nn.ReLU(),  # 32×32
            nn.Conv2d(c, c_in, 3, 1, 1),
        )  # fmt: skip
