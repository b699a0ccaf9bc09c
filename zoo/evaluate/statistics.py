"""FID statistics (μ, Σ of Inception features) as a value, and the cache of a dataset's reference statistics.

The reference statistics of an evaluation set cost minutes of Inception on a CPU and are the same for
every model evaluated on it, so they are computed once and kept under `$DPZOO_HOME/fid-statistics/`.
The key names everything that determines them: the dataset, the split, the number of images, a
digest of the image tensor itself (so two configurations that load the same images share an entry,
and changed files never hit a stale one) and the feature extractor (pytorch-fid version and a digest
of the Inception weights). Entries are safetensors files written atomically, never pickles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from dpzoo import atomic, constants

from .frechet import frechet_distance


@dataclass(frozen=True)
class Statistics:
    """Mean and covariance of n feature vectors: all FID needs of a set of images."""

    mu: np.ndarray
    sigma: np.ndarray
    count: int

    @classmethod
    def of(cls, features: np.ndarray) -> Statistics:
        """As pytorch-fid: the mean and the unbiased covariance (rows are samples)."""
        if len(features) < 2:
            raise ValueError(f"a covariance needs at least two feature vectors, got {len(features)}")
        return cls(features.mean(0), np.cov(features, rowvar=False), len(features))

    @classmethod
    def of_shards(cls, features: np.ndarray, total: Callable[[np.ndarray], np.ndarray]) -> Statistics:
        """`of` the features that several processes hold a share of, each rank calling with its own.

        `total` sums an array over the processes (an all-reduce): first the count and the sum,
        then the scatter about the global mean, so this is the two-pass estimate `np.cov` makes.
        """
        count = int(total(np.array([len(features)], dtype=np.float64))[0])
        if count < 2:
            raise ValueError(f"a covariance needs at least two feature vectors, got {count}")
        mu = total(features.sum(0)) / count
        centred = features - mu
        return cls(mu, total(centred.T @ centred) / (count - 1), count)

    def frechet_distance(self, other: Statistics) -> float:
        return frechet_distance(self.mu, self.sigma, other.mu, other.sigma)

    def save(self, path: Path, metadata: dict[str, str]) -> None:
        with atomic.atomic_path(path) as tmp:
            save_file({"mu": self.mu, "sigma": self.sigma}, str(tmp), metadata={**metadata, "count": str(self.count)})

    @classmethod
    def load(cls, path: Path) -> Statistics:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as handle:
            count = int(handle.metadata()["count"])
        tensors = load_file(str(path))
        return cls(tensors["mu"], tensors["sigma"], count)


def data_digest(array: np.ndarray) -> str:
    """A short digest of the exact values (and shape) of an evaluation set."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(repr((array.shape, array.dtype.str)).encode())
    digest.update(array.data)
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class StatisticsKey:
    """What determines reference statistics: dataset, split, size, the images' digest, the feature extractor."""

    dataset: str
    split: str
    size: int
    data: str
    extractor: str

    @property
    def filename(self) -> str:
        return f"{self.dataset}-{self.split}-{self.size}-{self.data}-{self.extractor}.safetensors"


def cache_dir() -> Path:
    return constants.home() / "fid-statistics"


def cached(key: StatisticsKey, compute: Callable[[], Statistics], directory: Path | None = None) -> tuple[Statistics, bool]:
    """The statistics of `key` from the cache, or `compute()`d and stored; True when they came from the cache."""
    path = (directory or cache_dir()) / key.filename
    if path.is_file():
        try:
            return Statistics.load(path), True
        except (SafetensorError, OSError, KeyError, ValueError):
            pass  # a damaged entry is recomputed and replaced
    statistics = compute()
    statistics.save(path, {"dataset": key.dataset, "split": key.split, "data": key.data, "extractor": key.extractor})
    return statistics, False
