"""RealNVP affine coupling (Dinh et al. 2017), the bijection g of the decoupled prior.

Block k with binary mask b: y = b⊙x + (1−b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x)), log|det| = Σ_j (1−b_j) s_j.
s and t are Linear(d,w)–LeakyReLU–…–Linear(w,d)–Tanh [authors' code: w = 64, two hidden layers];
the Tanh bounds the log-scale, which keeps the jointly trained flow stable.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def coupling_net(dim: int, width: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    size = dim
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.LeakyReLU()]
        size = width
    layers += [nn.Linear(size, dim), nn.Tanh()]
    return nn.Sequential(*layers)


def alternating_masks(dim: int, blocks: int) -> Tensor:
    """Masks that keep the first half, then the second half, fixed, alternately."""
    first = torch.zeros(dim)
    first[: dim // 2] = 1
    return torch.stack([first if k % 2 == 0 else 1 - first for k in range(blocks)])


class AffineCouplingFlow(nn.Module):
    """g = g_K ∘ … ∘ g_1 with alternating masks; `forward` is z → u, `inverse` is u → z."""

    def __init__(self, dim: int, blocks: int = 6, width: int = 64, depth: int = 2):
        super().__init__()
        if dim < 2:
            raise ValueError("an affine coupling flow needs at least 2 latent dimensions")
        self.register_buffer("masks", alternating_masks(dim, blocks))
        self.s = nn.ModuleList(coupling_net(dim, width, depth) for _ in range(blocks))
        self.t = nn.ModuleList(coupling_net(dim, width, depth) for _ in range(blocks))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        log_det = x.new_zeros(x.shape[:-1])
        for b, s_net, t_net in zip(self.masks, self.s, self.t):
            kept = b * x
            s = (1 - b) * s_net(kept)
            x = kept + (1 - b) * (x * torch.exp(s) + t_net(kept))
            log_det = log_det + s.sum(-1)
        return x, log_det

    def inverse(self, y: Tensor) -> Tensor:
        for b, s_net, t_net in zip(reversed(self.masks), reversed(self.s), reversed(self.t)):
            kept = b * y
            s = (1 - b) * s_net(kept)
            y = kept + (1 - b) * (y - t_net(kept)) * torch.exp(-s)
        return y
