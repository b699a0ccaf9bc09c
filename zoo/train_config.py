"""Training settings, stored under "training" in config.json."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000
    batch_size: int = 100  # authors: 100 for MNIST, 50 for SVHN and CelebA
    lr: float = 1e-3  # authors' configs: 1e-3 or 1e-4
    betas: tuple[float, float] = (0.9, 0.999)  # authors' code
    seed: int = 0
    save_every: int = 500
    log_every: int = 25
    workers: int = 0  # DataLoader workers for datasets that are read from disk

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if self.lr <= 0:
            raise ValueError("lr must be positive")
        if self.save_every < 1 or self.log_every < 1:
            raise ValueError("save_every and log_every must be at least 1")
