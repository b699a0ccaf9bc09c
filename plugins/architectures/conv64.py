"""The CelebA (64×64) encoder and decoder of the authors' code (`BetaVAE_CelebA`).

Encoder: five Conv(k4,s2,p1)–BN–LeakyReLU layers, channels 32, 64, 128, 256, 256, taking 64×64 to
2×2; flatten 1024 → Linear 2d. Decoder: Linear d→1024–LeakyReLU, then four stages of
[nearest ×2 upsampling, replication pad 1, Conv k3, BN (eps 1e-3), LeakyReLU] with channels 256,
128, 64, 32, and a last upsample–pad–Conv to the image channels.

The authors write `nn.LeakyReLU(True)`, which passes True as the negative slope: slope 1, i.e. no
non-linearity at all. They evidently meant PyTorch's LeakyReLU (slope 0.01) applied in place, which
is the default here; `negative_slope = 1` reproduces their network exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from dpzoo.architecture import Architecture


@dataclass(frozen=True)
class Conv64Config:
    in_channels: int = 3
    channels: int = 32  # authors' fil_sz
    negative_slope: float = 0.01  # PyTorch's LeakyReLU default; see the module docstring

    def __post_init__(self) -> None:
        if self.negative_slope < 0:
            raise ValueError("negative_slope must be non-negative")


class Conv64(Architecture):
    Config = Conv64Config

    def __init__(self, latent_dim: int, config: Conv64Config):
        super().__init__(latent_dim, config)
        c, c_in = config.channels, config.in_channels
        self.data_shape = (c_in, 64, 64)
        act = lambda: nn.LeakyReLU(config.negative_slope)  # noqa: E731
        widths = [c, 2 * c, 4 * c, 8 * c, 8 * c]
        encoder: list[nn.Module] = []
        for a, b in zip([c_in, *widths], widths):  # 64 → 32 → 16 → 8 → 4 → 2
            encoder += [nn.Conv2d(a, b, 4, 2, 1), nn.BatchNorm2d(b), act()]
        self.encoder = nn.Sequential(*encoder, nn.Flatten(), nn.Linear(8 * c * 4, 2 * latent_dim))
        decoder: list[nn.Module] = [nn.Linear(latent_dim, 8 * c * 4), act(), nn.Unflatten(1, (8 * c, 2, 2))]
        for a, b in zip([8 * c, 8 * c, 4 * c, 2 * c], [8 * c, 4 * c, 2 * c, c]):  # 2 → 4 → 8 → 16 → 32
            decoder += [nn.UpsamplingNearest2d(scale_factor=2), nn.ReplicationPad2d(1), nn.Conv2d(a, b, 3, 1)]
            decoder += [nn.BatchNorm2d(b, eps=1e-3), act()]
        decoder += [nn.UpsamplingNearest2d(scale_factor=2), nn.ReplicationPad2d(1), nn.Conv2d(c, c_in, 3, 1)]  # 64
        self.decoder = nn.Sequential(*decoder)
