"""A user's own data as a NumPy .npz file: one array per split, uint8 images or float vectors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from dpzoo.dataset import Dataset, Split
from dpzoo.errors import DataError


@dataclass(frozen=True)
class NPZConfig:
    path: str = ""
    train_key: str = "train"
    test_key: str = "test"


def default_architecture_for(shape: tuple[int, ...]) -> str:
    """The built-in architecture that fits data of this shape (a vector, or a square image)."""
    if len(shape) == 1:
        return "mlp"
    return {28: "conv28", 32: "conv32", 64: "conv64"}.get(shape[-1], "conv28")


class NPZ(Dataset):
    """Arrays shaped (N, D) for vectors or (N, H, W) / (N, C, H, W) for images; uint8 is scaled to [0, 1]."""

    Config = NPZConfig

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        path = Path(self.config.path)
        if not self.config.path or not path.is_file():
            raise DataError(f"npz file '{self.config.path}' not found; pass --set dataset.path=FILE.npz")
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (ValueError, OSError) as exc:
            raise DataError(f"cannot read {path} as .npz ({exc}); save it with numpy.savez") from None

    def _array(self, split: Split) -> np.ndarray:
        key = self.config.train_key if split == "train" else self.config.test_key
        if key not in self._arrays:
            raise DataError(
                f"{self.config.path} has no array '{key}' for the {split} split; it has "
                f"{', '.join(self._arrays) or 'none'} — set dataset.{split}_key"
            )
        array = self._arrays[key]
        return array[:, None] if array.ndim == 3 else array

    @property
    def data_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return tuple(self._array("train").shape[1:])

    @property
    def default_architecture(self) -> str:  # type: ignore[override]
        return default_architecture_for(self.data_shape)

    @property
    def default_likelihood(self) -> dict[str, object]:  # type: ignore[override]
        if self._array("train").dtype == np.uint8:
            return {"name": "bernoulli"}
        return {"name": "mse", "link": "identity", "mse_weight": 10.0}

    def load(self, split: Split) -> TensorDataset:
        array = self._array(split)
        x = torch.as_tensor(array, dtype=torch.float32)
        if array.dtype == np.uint8:
            x = x / 255
        return TensorDataset(x, torch.zeros(len(x), dtype=torch.long))

    def describe(self, split: Split) -> str:
        return f"{self.config.path} [{self.config.train_key if split == 'train' else self.config.test_key}], {split} split"
