"""Batches of a dataset that is not held in memory go through a DataLoader, in the order of (seed, step)."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from dpzoo.batches import Batches
from dpzoo.distributed import Shard, World


class Numbered(Dataset):
    """Example i is the number i, so a batch shows which examples it holds."""

    def __len__(self) -> int:
        return 250

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return torch.tensor([float(i)]), 0


def test_a_dataset_read_item_by_item_gives_the_batches_of_its_steps_across_epochs() -> None:
    for batches in (Batches(Numbered(), 40, seed=3), Shard(Numbered(), 40, 3, World(1, 2))):
        loaded = [x[:, 0].long() for x in batches.iterate(4, 17)]  # 6 batches per epoch: steps 6 and 12 start epochs
        assert len(loaded) == 13
        for step, batch in zip(range(4, 17), loaded, strict=True):
            assert torch.equal(batch, batches.indices(step))
