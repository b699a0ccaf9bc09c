"""The trainer: one loop for every regularizer × prior × dataset.

The loop is deliberately close to the bare PyTorch loop a user would write (forward, loss, backward,
Adam step), so that it runs at the same speed; everything else happens every `log_every` steps.
Checkpoints are atomic and a resume is bit-for-bit: batches are a function of (seed, step) and the
RNG state is saved with the weights and optimizer states. Under torchrun every process runs this
loop on its share of each batch (`dpzoo.distributed`) and only rank 0 writes files and reports.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch

from . import checkpoint, distributed
from .atomic import write_text
from .card import write_training_card
from .errors import CheckpointError, TrainingDiverged
from .model import DPVAE
from .recipe import Recipe, load_dataset


@dataclass(frozen=True)
class Progress:
    """What the trainer reports every `log_every` steps (and the JSONL log records)."""

    step: int  # steps completed
    steps: int
    terms: dict[str, float]
    steps_per_second: float
    seconds: float


def _check_finite(step: int, terms: dict[str, torch.Tensor]) -> None:
    for name in sorted(terms, key=lambda name: name == "loss"):  # name the term that broke, not the total
        value = terms[name]
        number = float(value.detach())
        if not math.isfinite(number):
            raise TrainingDiverged(step, name, number)


def _trim_log(path: Path, keep_through: int) -> None:
    """Drop log lines past the step a resume starts from, so the log matches the run."""
    if not path.exists():
        return
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    kept = [line for line in lines if json.loads(line).get("step", 0) <= keep_through]
    write_text(path, "".join(line + "\n" for line in kept))


@distributed.in_process_group
def train(
    recipe: Recipe,
    out: str | Path,
    resume: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> DPVAE:
    """Train `recipe` into the checkpoint directory `out` and return the model.

    Under torchrun, call it in every process: `training.batch_size` is the global batch, split over
    the processes, and the run is the one a single process would make (docs/distributed.md).
    """
    out = Path(out)
    world = distributed.World.from_environment()
    t = recipe.training
    if not resume and (out / checkpoint.STATE_FILE).exists():
        raise CheckpointError(f"{out} already holds a training run; pass --resume to continue it or choose another --out")
    if resume:
        saved = checkpoint.read_config(out)
        if Recipe.from_dict(saved).with_training(steps=t.steps) != recipe:
            raise CheckpointError(f"{out} was trained with another recipe; resume with the same settings (only --steps may change)")

    torch.manual_seed(t.seed)
    dataset = load_dataset(recipe.dataset)
    model = DPVAE.from_config(recipe.model).to(world.device)
    optimizers: dict[str, torch.optim.Optimizer] = {
        # fused: one kernel for all tensors instead of ~10 ops per tensor (the flow has 72 small ones)
        "vae": torch.optim.Adam(model.vae_parameters(), lr=t.lr, betas=t.betas, fused=True),
        **model.regularizer.auxiliary_optimizers(),
    }
    start = checkpoint.load_training_state(out, model, optimizers) if resume else 0
    config = checkpoint.run_config({**recipe.to_dict(), "data": dataset.describe("train")}, recipe.model)
    log_path = out / checkpoint.LOG_FILE
    if world.main:
        checkpoint.write_config(out, config)
        _trim_log(log_path, start) if resume else write_text(log_path, "")

    model.train()
    main = optimizers["vae"]
    batches = distributed.Shard(dataset.load("train"), t.batch_size, t.seed, world, t.workers)
    forward = distributed.replicate(model, world, t.batch_size)
    began = time.perf_counter()
    step = start
    with open(log_path, "a") if world.main else nullcontext() as log:
        for x in batches.iterate(start, t.steps):
            out_ = forward(x)
            terms = model.regularizer.loss(out_, model.prior, step)
            loss = terms["loss"]
            if not math.isfinite(loss.item()):
                _check_finite(step, terms)
            main.zero_grad(set_to_none=True)
            loss.backward()
            main.step()
            aux = model.regularizer.auxiliary_step(out_, model.prior, step)
            step += 1
            if step % t.log_every == 0 or step == t.steps:
                values = world.average({**terms, **aux})
                _check_finite(step - 1, values)
                if world.main:
                    seconds = time.perf_counter() - began
                    report = Progress(step, t.steps, {k: float(v.detach()) for k, v in values.items()}, (step - start) / seconds, seconds)
                    log.write(json.dumps({"step": step, **report.terms, "seconds": round(seconds, 3)}) + "\n")
                    log.flush()
                    if on_progress:
                        on_progress(report)
            if world.main and (step % t.save_every == 0 or step == t.steps):
                checkpoint.save_training_state(out, model, optimizers, step)
                checkpoint.save_model(out, model, config)
    if world.main:
        write_training_card(out, config, step)
    # No process returns, or tears its process group down, while rank 0 is still writing: when train()
    # returns anywhere, the checkpoint is complete, and a script may read it on any rank.
    world.barrier()
    return model.eval()
