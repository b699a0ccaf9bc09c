"""Data-parallel training across processes with PyTorch's own engine: torchrun + DistributedDataParallel.

torchrun starts one process per device and tells each its RANK, WORLD_SIZE and LOCAL_RANK and where to
meet (MASTER_ADDR, MASTER_PORT); `joined` makes the process group from them (NCCL on GPUs, gloo on CPU).
A run is defined by its recipe, not by how many processes execute it:

- `training.batch_size` is the global batch; each of N ranks takes a disjoint 1/N of every batch
  (`Shard`, through torch's DistributedSampler with per-epoch seeding), so batches stay a pure
  function of (seed, step) and an epoch visits each example once;
- every rank draws the reparameterization noise of the whole global batch from the same random stream
  and keeps its own rows (`Replica`), and DDP averages the gradients over the ranks;

so N processes follow the trajectory of one process with the same recipe (to float rounding), and a
checkpoint written by N processes resumes under any number. Only rank 0 writes files.
Regularizers that look across the batch (β-TCVAE, InfoVAE, FactorVAE) see the rank's share of it:
docs/distributed.md says what that means for each. Evaluation shares out FID's samples and sums
their feature statistics over the ranks (`World.sum`, `dpzoo.evaluate.context`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset, DistributedSampler

from . import constants
from .batches import SEED_STRIDE, Batches
from .errors import ConfigError, DistributedError
from .model import DPVAE
from .regularizer import ForwardOutput

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class World:
    """This process's place among the processes of one run; a plain process is a world of one."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0  # the rank within this node, which picks the GPU

    @classmethod
    def from_environment(cls) -> World:
        rank, size, local_rank = constants.torchrun_ranks()
        return cls(rank, size, local_rank)

    @property
    def main(self) -> bool:
        """Rank 0 writes checkpoints, logs and progress; the others only compute."""
        return self.rank == 0

    @property
    def device(self) -> torch.device:
        """GPU `local_rank` when a distributed run has GPUs, else the CPU (where one process trains)."""
        if self.size > 1 and torch.cuda.is_available():
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")

    def average(self, terms: dict[str, Tensor]) -> dict[str, Tensor]:
        """Scalar terms averaged over the ranks: for batch means, the value of the global batch."""
        if self.size == 1:
            return terms
        stacked = torch.stack([value.detach().float() for value in terms.values()])
        dist.all_reduce(stacked)
        return dict(zip(terms, stacked / self.size))

    def barrier(self) -> None:
        """Wait here until every rank arrives; a no-op in one process."""
        if self.size > 1:
            dist.barrier()

    def sum(self, array: np.ndarray) -> np.ndarray:
        """`array` summed over the ranks, on every rank (through gloo, as a CPU tensor); itself in one process."""
        if self.size == 1:
            return array
        tensor = torch.tensor(array)
        dist.all_reduce(tensor)
        return tensor.numpy()


def _lost_peer(exc: RuntimeError) -> bool:
    """A failure of the process group; gloo reports a peer that died as a bare RuntimeError of its transport."""
    text = str(exc)
    return isinstance(exc, dist.DistError) or any(mark in text for mark in ("Connection reset", "Connection closed", "Broken pipe"))


@contextmanager
def joined() -> Iterator[World]:
    """This process's world for the duration of the block, in its process group under torchrun.

    The group is made here (and destroyed after) unless the caller made it already, as a script that
    calls `init_process_group` itself does. A lost peer surfaces as one-line `DistributedError`.
    """
    world = World.from_environment()
    made = world.size > 1 and not dist.is_initialized()
    if made:
        if world.device.type == "cuda":
            if world.local_rank >= torch.cuda.device_count():
                raise ConfigError(
                    f"process {world.local_rank} of this node has no GPU (found {torch.cuda.device_count()}); "
                    "start at most one process per GPU (--nproc)"
                )
            torch.cuda.set_device(world.device)
        backend = "cpu:gloo,cuda:nccl" if world.device.type == "cuda" else "gloo"  # CPU tensors (FID statistics) via gloo
        dist.init_process_group(backend, rank=world.rank, world_size=world.size)
    try:
        yield world
    except RuntimeError as exc:
        if world.size > 1 and _lost_peer(exc):
            detail = re.sub(r"^\[[^\]]*\]\s*", "", str(exc).strip().splitlines()[0]).split(". ")[0]
            raise DistributedError(
                f"process {world.rank} of {world.size} lost contact with the others ({detail}); checkpoints "
                "already written are kept — find why the other process stopped, then relaunch with --resume"
            ) from None
        raise
    finally:
        if made:
            dist.destroy_process_group()


def in_process_group(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `joined()`, for library entry points that every torchrun process calls."""

    @functools.wraps(function)
    def joined_call(*args: P.args, **kwargs: P.kwargs) -> R:
        with joined():
            return function(*args, **kwargs)

    return joined_call


class Shard(Batches):
    """This rank's disjoint share of each global batch, drawn by torch's `DistributedSampler`.

    The sampler is seeded so that its epoch permutation is the one a single process uses
    (`batches.SEED_STRIDE`) and rank r takes every N-th example of it from the r-th; cut into batches
    of B/N, the shards of one step are disjoint and together are exactly the batch of B that one
    process would train on. The sampler is made afresh for each epoch (`set_epoch`), so the batch of
    any step follows from (seed, step) alone and a resume needs no sampler state. With N = 1 this is
    `Batches`.
    """

    def __init__(self, data: Dataset, batch_size: int, seed: int, world: World, workers: int = 0):
        if batch_size % world.size:
            raise ConfigError(
                f"batch size {batch_size} does not split evenly over {world.size} processes; "
                f"choose a multiple of {world.size} (it is the global batch)"
            )
        super().__init__(data, batch_size // world.size, seed, workers)
        if self.size < batch_size:
            raise ConfigError(f"the dataset has {self.size} examples, fewer than one batch of {batch_size}")
        self.world = world
        self.global_batch_size = batch_size
        self.per_epoch = self.size // batch_size

    def order(self, epoch: int) -> Tensor:
        sampler = DistributedSampler(
            self.data, self.world.size, self.world.rank, shuffle=True, seed=self.seed * SEED_STRIDE, drop_last=True
        )
        sampler.set_epoch(epoch)
        return torch.tensor(list(sampler))[: self.per_epoch * self.batch_size]


def _ddp(module: nn.Module, world: World) -> DistributedDataParallel:
    """DDP without the per-step buffer broadcast: dpzoo's models hold only constant buffers (flow masks)."""
    device_ids = [world.local_rank] if world.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids, forward_sync_buffers=False)


class Replica:
    """The model's forward pass on this rank, under DistributedDataParallel.

    DDP averages the VAE's gradients; the regularizer's own modules (FactorVAE's discriminator) are
    left out of it and get DDP wrappers of their own (`Regularizer.replicate`), since they are
    trained by another optimizer after the VAE step. The noise ε of z = μ + σ·ε is drawn for the
    whole global batch from the CPU stream, which every rank seeds alike, and rank r keeps the rows
    of its examples (every N-th from the r-th): the noise one process would give the same examples.
    """

    def __init__(self, model: DPVAE, world: World, batch_size: int):
        auxiliary = {id(p) for p in model.regularizer.auxiliary_parameters()}
        ignored = [name for name, p in model.named_parameters() if id(p) in auxiliary]
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, ignored)
        self.module = _ddp(model, world)
        model.regularizer.replicate(lambda child: _ddp(child, world))
        self.rows = slice(world.rank, None, world.size)  # the batch positions of this rank's examples (`Shard`)
        self.noise_shape = (batch_size, model.latent_dim)
        self.device = world.device

    def __call__(self, x: Tensor) -> ForwardOutput:
        noise = torch.randn(self.noise_shape)[self.rows]
        return self.module(x.to(self.device, non_blocking=True), noise.to(self.device, non_blocking=True))


def replicate(model: DPVAE, world: World, batch_size: int) -> Callable[[Tensor], ForwardOutput]:
    """How the trainer runs a batch forward: the model itself in one process, a `Replica` under torchrun."""
    return model if world.size == 1 else Replica(model, world, batch_size)
