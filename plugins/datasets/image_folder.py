"""A user's own images in a folder tree (torchvision's ImageFolder layout), resized and split by seed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import torch
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import Subset

from dpzoo.dataset import Dataset, Split
from dpzoo.errors import DataError

from .npz import default_architecture_for


@dataclass(frozen=True)
class ImageFolderConfig:
    root: str = ""
    image_size: int = 28
    channels: int = 1  # 1: grayscale, 3: RGB
    test_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ValueError("channels must be 1 or 3")
        if not 0 < self.test_fraction < 1:
            raise ValueError("test_fraction must lie strictly between 0 and 1")


class ImageFolder(Dataset):
    Config = ImageFolderConfig

    @property
    def data_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return (self.config.channels, self.config.image_size, self.config.image_size)

    @property
    def default_architecture(self) -> str:  # type: ignore[override]
        return default_architecture_for(self.data_shape)

    @cached_property
    def _images(self) -> TorchDataset:
        from torchvision import datasets, transforms

        c = self.config
        root = Path(c.root)
        steps = [transforms.Grayscale()] if c.channels == 1 else [transforms.Lambda(lambda im: im.convert("RGB"))]
        steps += [transforms.Resize(c.image_size), transforms.CenterCrop(c.image_size), transforms.ToTensor()]
        try:
            return datasets.ImageFolder(str(root), transform=transforms.Compose(steps))
        except (FileNotFoundError, OSError) as exc:
            raise DataError(
                f"no images found under '{root}' ({exc}); use one subfolder per class: ROOT/CLASS/IMAGE.png"
            ) from None

    def load(self, split: Split) -> Subset:
        images = self._images
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.config.seed)).tolist()
        n_test = max(1, round(len(images) * self.config.test_fraction))
        return Subset(images, order[:n_test] if split == "test" else order[n_test:])

    def describe(self, split: Split) -> str:
        c = self.config
        return f"images under {c.root} ({c.channels}×{c.image_size}²), {split} split, test fraction {c.test_fraction}, seed {c.seed}"
