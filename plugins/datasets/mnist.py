"""MNIST: torchvision's files when the user has them, otherwise the digits bundled with dpzoo.

Bundled (real MNIST, official checksums; see `bundled/README.md`): the 10,000-digit official test
set, and 5,000 training digits disjoint from it. Without the 60,000 training images the clean split
is: train on those 5,000, evaluate on the 10,000 test digits. With the full torchvision MNIST the
same code trains on all 60,000.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import TensorDataset

from dpzoo import constants
from dpzoo.dataset import Dataset, Split
from dpzoo.errors import DataError

BUNDLED = Path(__file__).parent / "bundled"


@dataclass(frozen=True)
class MNISTConfig:
    root: str | None = None  # torchvision root (holds MNIST/raw); default $DPZOO_DATA
    source: Literal["auto", "torchvision", "bundled"] = "auto"  # auto: torchvision files if present
    download: bool = False  # let torchvision download the files into root


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST's format): big-endian dims after a 4-byte magic, then uint8 data."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def bundled_split(split: Split) -> tuple[np.ndarray, np.ndarray]:
    if split == "test":
        return read_idx(BUNDLED / "t10k-images-idx3-ubyte.gz"), read_idx(BUNDLED / "t10k-labels-idx1-ubyte.gz")
    table = np.loadtxt(BUNDLED / "mnist_5k.csv.gz", delimiter=",", dtype=np.uint8)
    return table[:, :784].reshape(-1, 28, 28), table[:, 784]


def _tensors(images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> TensorDataset:
    x = torch.tensor(np.asarray(images), dtype=torch.float32).div_(255).unsqueeze(1)  # a copy: bundled arrays are read-only
    return TensorDataset(x.contiguous(), torch.tensor(np.asarray(labels), dtype=torch.long))


class MNIST(Dataset):
    Config = MNISTConfig
    data_shape = (1, 28, 28)
    default_architecture = "conv28"
    default_likelihood = {"name": "bernoulli"}

    @property
    def root(self) -> Path:
        return Path(self.config.root) if self.config.root else constants.data_root()

    def _torchvision_available(self) -> bool:
        raw = self.root / "MNIST" / "raw"
        return (raw / "train-images-idx3-ubyte").exists() or (raw / "train-images-idx3-ubyte.gz").exists()

    def uses_torchvision(self) -> bool:
        c = self.config
        return c.source == "torchvision" or (c.source == "auto" and (c.download or self._torchvision_available()))

    def load(self, split: Split) -> TensorDataset:
        if not self.uses_torchvision():
            return _tensors(*bundled_split(split))
        from torchvision.datasets import MNIST as TorchvisionMNIST

        try:
            data = TorchvisionMNIST(str(self.root), train=split == "train", download=self.config.download)
        except (RuntimeError, OSError) as exc:
            raise DataError(
                f"MNIST files not found in {self.root / 'MNIST' / 'raw'} ({exc}); put torchvision's MNIST "
                "there, pass download=true where the internet is reachable, or use source=bundled"
            ) from None
        return _tensors(data.data, data.targets)

    def describe(self, split: Split) -> str:
        if self.uses_torchvision():
            n = "60,000" if split == "train" else "10,000"
            return f"MNIST {split} split: {n} digits, torchvision files in {self.root}"
        if split == "test":
            return "MNIST test split: the official 10,000-digit test set (bundled)"
        return "MNIST train split: 5,000 official training digits, disjoint from the test set (bundled)"
