"""SVHN (Netzer et al., 2011): 32×32 colour house-number digits, through torchvision's `SVHN`.

torchvision keeps the .mat files directly in its root, so dpzoo's default root is $DPZOO_DATA/svhn.
The images stay uint8 in memory (the 73,257 training images take 225 MB, 900 MB as float) and are
scaled to [0, 1] one item at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import Dataset as TorchDataset

from dpzoo import constants
from dpzoo.dataset import Dataset, Split
from dpzoo.errors import DataError

SOURCE = "http://ufldl.stanford.edu/housenumbers/"


@dataclass(frozen=True)
class SVHNConfig:
    root: str | None = None  # folder holding train_32x32.mat and test_32x32.mat; default $DPZOO_DATA/svhn
    download: bool = False  # let torchvision download the files into root


class ScaledImages(TorchDataset):
    """uint8 images (N, C, H, W) with labels, returned as float pixels in [0, 1]."""

    def __init__(self, images: Tensor, labels: Tensor):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.images[index].float().div(255), self.labels[index]


class SVHN(Dataset):
    Config = SVHNConfig
    data_shape = (3, 32, 32)
    default_architecture = "conv32"
    default_likelihood = {"name": "bernoulli"}

    @property
    def root(self) -> Path:
        return Path(self.config.root) if self.config.root else constants.data_root() / "svhn"

    def load(self, split: Split) -> ScaledImages:
        from torchvision.datasets import SVHN as TorchvisionSVHN

        try:
            data = TorchvisionSVHN(str(self.root), split=split, download=self.config.download)
        except (RuntimeError, OSError) as exc:
            raise DataError(
                f"SVHN {split} file {split}_32x32.mat not found or unreadable in {self.root} ({exc}); download "
                f"train_32x32.mat and test_32x32.mat from {SOURCE} into it, or pass --set dataset.download=true "
                "where the internet is reachable"
            ) from None
        return ScaledImages(torch.from_numpy(data.data), torch.as_tensor(data.labels, dtype=torch.long))

    def describe(self, split: Split) -> str:
        n = "73,257" if split == "train" else "26,032"
        return f"SVHN {split} split: {n} images (32×32 RGB), torchvision files in {self.root}"
