"""Writing generated images as PNG files, atomically."""

from __future__ import annotations

import io
import math
from pathlib import Path

from torch import Tensor
from torchvision.utils import save_image

from . import atomic


def _png(images: Tensor, nrow: int) -> bytes:
    buffer = io.BytesIO()
    save_image(images.clamp(0, 1), buffer, format="png", nrow=nrow, padding=2)
    return buffer.getvalue()


def save_grid(images: Tensor, path: str | Path, nrow: int | None = None) -> Path:
    """One PNG, a near-square grid (64 images → 8×8)."""
    nrow = nrow or math.ceil(math.sqrt(len(images)))
    atomic.write_bytes(path, _png(images, nrow))
    return Path(path)


def save_individual(images: Tensor, directory: str | Path, prefix: str = "sample") -> list[Path]:
    """One PNG per image: DIRECTORY/sample_0000.png, …"""
    directory = Path(directory)
    width = max(4, len(str(len(images) - 1)))
    paths = []
    for i, image in enumerate(images):
        path = directory / f"{prefix}_{i:0{width}d}.png"
        atomic.write_bytes(path, _png(image[None], 1))
        paths.append(path)
    return paths
