"""Two interleaving half circles with Gaussian noise (as sklearn's make_moons), generated from a seed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.utils.data import TensorDataset

from dpzoo.dataset import Dataset, Split


@dataclass(frozen=True)
class TwoMoonsConfig:
    train_size: int = 10_000
    test_size: int = 2_000
    noise: float = 0.05  # the RealNVP two-moons demo's setting
    seed: int = 0


def make_moons(n: int, noise: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    outer = n // 2
    angles = torch.rand(n, generator=generator) * math.pi
    labels = (torch.arange(n) >= outer).long()
    x = torch.where(labels == 0, torch.cos(angles), 1 - torch.cos(angles))
    y = torch.where(labels == 0, torch.sin(angles), 0.5 - torch.sin(angles))
    points = torch.stack([x, y], 1) + noise * torch.randn(n, 2, generator=generator)
    return points, labels


class TwoMoons(Dataset):
    Config = TwoMoonsConfig
    data_shape = (2,)
    default_architecture = "mlp"
    default_likelihood = {"name": "mse", "link": "identity", "mse_weight": 10.0}

    def load(self, split: Split) -> TensorDataset:
        c = self.config
        offset = 0 if split == "train" else 1  # the two splits come from different streams
        generator = torch.Generator().manual_seed(2 * c.seed + offset)
        n = c.train_size if split == "train" else c.test_size
        return TensorDataset(*make_moons(n, c.noise, generator))

    def describe(self, split: Split) -> str:
        c = self.config
        n = c.train_size if split == "train" else c.test_size
        return f"two moons, {split} split: {n:,} points generated with noise {c.noise}, seed {c.seed}"
