"""Minibatches as a pure function of (seed, step), which is what makes a resume bit-for-bit.

The order of epoch e is a permutation drawn from a generator seeded with (seed, e), so the batch of
any step can be recomputed without saving a sampler's state. In-memory tensor datasets are indexed
directly (a DataLoader's per-item collate would cost more than a conv28 training step).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, TensorDataset

from .errors import ConfigError

# Epoch e of seed s is the permutation of a generator seeded with s·SEED_STRIDE + e (torch's
# DistributedSampler seeds its generator with seed + epoch: `distributed.Shard` passes it s·SEED_STRIDE),
# so runs with neighbouring seeds never share an epoch's order.
SEED_STRIDE = 1_000_003


class Batches:
    def __init__(self, data: Dataset, batch_size: int, seed: int, workers: int = 0):
        self.data, self.batch_size, self.seed, self.workers = data, batch_size, seed, workers
        self.size = len(data)  # type: ignore[arg-type]
        if batch_size < 1:
            raise ConfigError("batch_size must be at least 1")
        if self.size < batch_size:
            raise ConfigError(f"the dataset has {self.size} examples, fewer than one batch of {batch_size}")
        self.per_epoch = self.size // batch_size  # the incomplete last batch is dropped

    def order(self, epoch: int) -> Tensor:
        generator = torch.Generator().manual_seed(self.seed * SEED_STRIDE + epoch)
        return torch.randperm(self.size, generator=generator)

    def indices(self, step: int) -> Tensor:
        epoch, position = divmod(step, self.per_epoch)
        return self.order(epoch)[position * self.batch_size : (position + 1) * self.batch_size]

    def index_batches(self, start: int, stop: int) -> Iterator[Tensor]:
        """The example indices of steps start … stop−1, drawing each epoch's order once."""
        order = self.order(start // self.per_epoch)
        for step in range(start, stop):
            epoch, position = divmod(step, self.per_epoch)
            if position == 0 and step != start:
                order = self.order(epoch)
            yield order[position * self.batch_size : (position + 1) * self.batch_size]

    def iterate(self, start: int, stop: int) -> Iterator[Tensor]:
        """The input tensors of steps start … stop−1."""
        if isinstance(self.data, TensorDataset):
            x = self.data.tensors[0]
            for index in self.index_batches(start, stop):
                yield x[index]
            return
        # A lazy plan: the DataLoader asks for each batch as it goes, so a long run neither draws a
        # permutation per step nor holds every step's indices in memory before the first batch.
        plan = (index.tolist() for index in self.index_batches(start, stop))
        loader = DataLoader(self.data, batch_sampler=plan, num_workers=self.workers)  # type: ignore[arg-type]
        for x, *_ in loader:
            yield x
