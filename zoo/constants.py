"""Environment variables dpzoo reads, in one place (as huggingface_hub's `constants`)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """DPZOO_HOME: dpzoo's own cache (datasets, FID statistics); default ~/.cache/dpzoo."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dpzoo"
    return Path(os.environ.get("DPZOO_HOME", default))


def data_root() -> Path:
    """DPZOO_DATA: where dataset plugins look for (and download) torchvision datasets."""
    return Path(os.environ.get("DPZOO_DATA", home() / "data"))


def inception_weights() -> Path | None:
    """DPZOO_INCEPTION_WEIGHTS: pytorch-fid's FID Inception state dict, where the torch hub cache lacks it."""
    value = os.environ.get("DPZOO_INCEPTION_WEIGHTS")
    return Path(value) if value else None


def catalog_dir() -> Path | None:
    """DPZOO_CATALOG: a directory of catalog cards used instead of the shipped one (a private zoo)."""
    value = os.environ.get("DPZOO_CATALOG")
    return Path(value) if value else None


def torchrun_ranks() -> tuple[int, int, int]:
    """RANK, WORLD_SIZE and LOCAL_RANK, which torchrun sets for each process it starts; (0, 1, 0) outside it."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))
