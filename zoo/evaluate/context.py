"""What the metrics of one evaluation share: the model, the evaluation data, seeds and costly intermediates.

Metrics are functions of (model, data, settings). The posteriors of the evaluation set (used by
FID(LP), sKL, leakage and the pictures), the Inception network and the reference statistics are
computed at most once per evaluation, the last also at most once per machine (see `statistics`).
Each metric draws from its own generator seeded by (seed, metric name), so a metric's number does
not depend on which other metrics ran before it. Under torchrun (`dpzoo eval --nproc N`) every
process draws the same samples, decodes and embeds its `shard` of them, and the FID statistics are
summed over the processes: the FID of one process with the same seed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from dpzoo import atomic
from dpzoo.distributed import World
from dpzoo.errors import EvaluationError
from dpzoo.model import DPVAE, PluginSpec
from dpzoo.recipe import load_dataset

from . import statistics
from .inception import InceptionFeatures
from .statistics import Statistics, StatisticsKey

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class EvaluationSettings:
    """Settings shared by all metrics of one `dpzoo eval`."""

    seed: int = 0
    split: str = "test"  # paper §5.1: held-out data
    device: str = "cpu"
    inception_weights: str | None = None  # default: DPZOO_INCEPTION_WEIGHTS, then the torch hub cache
    reference_size: int | None = None  # FID reference images: the first n of the split; None = all
    batch_size: int = 500  # examples per encoder/decoder pass


@dataclass(frozen=True)
class EvaluationData:
    """The examples a model is evaluated on, and the words that say exactly which they are."""

    dataset: str
    split: str
    description: str
    x: Tensor

    @classmethod
    def of(cls, model: DPVAE, split: str) -> EvaluationData:
        """`split` of the dataset `model` was trained on, as its config.json names it."""
        config: dict[str, Any] = getattr(model, "run_config", {}) or {}
        return cls.load(dataset_spec(model), split, config.get("plugins"))

    @classmethod
    def load(cls, spec: PluginSpec, split: str, provenance: dict[str, Any] | None = None) -> EvaluationData:
        dataset = load_dataset(spec, provenance)
        data = dataset.load(split)  # type: ignore[arg-type]
        tensors = getattr(data, "tensors", None)
        x = tensors[0] if tensors is not None else torch.stack([data[i][0] for i in range(len(data))])  # type: ignore[arg-type]
        return cls(spec.name, split, dataset.describe(split), x)  # type: ignore[arg-type]

    @property
    def is_image(self) -> bool:
        return self.x.dim() == 4


def dataset_spec(model: DPVAE) -> PluginSpec:
    """The dataset a checkpoint was trained on, from its config.json."""
    config: dict[str, Any] = getattr(model, "run_config", {}) or {}
    section = config.get("dataset")
    if not isinstance(section, dict) or "name" not in section:
        raise EvaluationError("this model's config.json names no dataset; pass the evaluation data with --dataset")
    return PluginSpec(section["name"], section.get("config", {}))


class EvaluationContext:
    def __init__(
        self,
        model: DPVAE,
        data: EvaluationData,
        settings: EvaluationSettings = EvaluationSettings(),
        progress: Progress | None = None,
        pictures_dir: Path | None = None,
    ):
        self.model = model.eval()
        self.data = data
        self.settings = settings
        self.progress = progress
        self.pictures_dir = pictures_dir
        self.pictures: dict[str, Path] = {}  # caption → file, of the pictures metrics wrote
        self.world = World.from_environment()

    def write_picture(self, filename: str, caption: str, png: bytes) -> None:
        """Keep a metric's picture (e.g. the leakage plot) beside the card; nowhere when pictures are off."""
        if self.pictures_dir is not None:
            path = self.pictures_dir / filename
            atomic.write_bytes(path, png)
            self.pictures[caption] = path

    def generator(self, purpose: str) -> torch.Generator:
        """A generator of its own for each metric or picture, seeded by (seed, purpose)."""
        return torch.Generator().manual_seed(self.settings.seed * 1_000_003 + zlib.crc32(purpose.encode()))

    def report(self, what: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(what, done, total)

    def shard(self, rows: Tensor) -> Tensor:
        """This process's share of `rows` (samples to decode, images to embed) for `fid`: all of them
        in one process, a contiguous 1/N under torchrun."""
        if self.world.size == 1:
            return rows
        if len(rows) < self.world.size:
            raise EvaluationError(f"{len(rows)} samples do not split over {self.world.size} processes; use fewer processes")
        return rows.tensor_split(self.world.size)[self.world.rank]

    def batches(self, x: Tensor) -> Iterator[Tensor]:
        for batch in x.split(self.settings.batch_size):
            yield batch.to(self.model.device)

    @cached_property
    def posterior(self) -> tuple[Tensor, Tensor]:
        """μ and log σ² of q(z|xₙ) for every example of the evaluation set (on the CPU)."""
        mus, logvars = [], []
        with torch.no_grad():
            for batch in self.batches(self.data.x):
                mu, logvar = self.model.encode(batch)
                mus.append(mu.cpu())
                logvars.append(logvar.cpu())
        return torch.cat(mus), torch.cat(logvars)

    def decode(self, z: Tensor) -> Iterator[Tensor]:
        """Mean images of p(x|z), in batches, so that large sample counts never sit in memory at once."""
        with torch.no_grad():
            for batch in self.batches(z):
                yield self.model.decode(batch).cpu()

    def require_images(self, metric: str) -> None:
        if not self.data.is_image:
            raise EvaluationError(
                f"{metric} needs image data, but {self.data.dataset} yields points shaped {tuple(self.data.x.shape[1:])}; "
                "leave it out with --metric"
            )

    @cached_property
    def inception(self) -> InceptionFeatures:
        return InceptionFeatures(self.settings.inception_weights, device=self.settings.device)

    def features(self, images: Iterable[Tensor], total: int, what: str) -> Any:
        """Inception features of images that are first quantized to 8 bits, as if read from PNG files.

        The reference images are 8-bit already; quantizing the generated ones treats both alike,
        exactly as pytorch-fid does when it reads two folders of PNGs.
        """
        quantized = (torch.round(batch.clamp(0, 1) * 255) / 255 for batch in images)
        share = self.world.size  # under torchrun, this process's progress stands for all of them
        return self.inception(quantized, progress=lambda done: self.report(what, min(total, done * share), total))

    @cached_property
    def reference(self) -> tuple[Statistics, bool]:
        """FID statistics of the evaluation images, from the cache when possible; True when cached."""
        size = self.settings.reference_size or len(self.data.x)
        if not 2 <= size <= len(self.data.x):
            raise EvaluationError(f"reference_size must be between 2 and {len(self.data.x)}, got {size}")
        x = self.data.x[:size]
        key = StatisticsKey(self.data.dataset, self.data.split, size, statistics.data_digest(x.numpy()), self.inception.identity)
        what = f"reference statistics ({size:,} {self.data.split} images)"
        images = self.shard(x).split(self.settings.batch_size)
        return statistics.cached(key, lambda: Statistics.of_shards(self.features(images, size, what), self.world.sum))

    def fid(self, images: Iterable[Tensor], total: int, what: str) -> float:
        """FID of generated images against the evaluation set; under torchrun, of this process's
        `shard` of the images together with the other processes' shards."""
        reference, _ = self.reference
        return Statistics.of_shards(self.features(images, total, what), self.world.sum).frechet_distance(reference)
