"""`dpzoo train`: any regularizer × prior × dataset, with a rich progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from dpzoo.errors import ConfigError

from .settings import parse_settings

if TYPE_CHECKING:
    from dpzoo.recipe import Recipe


MODEL_OPTIONS = ("dataset", "prior", "regularizer", "architecture", "latent_dim", "settings")
TRAINING_OPTIONS = ("steps", "batch_size", "lr", "seed", "save_every")


def catalog_recipe(ctx: typer.Context, name: str) -> Recipe:
    """Catalog entry `name`'s recipe, with only the training options given on the command line changed."""
    from dpzoo import catalog

    given = {key for key in ctx.params if getattr(ctx.get_parameter_source(key), "name", None) == "COMMANDLINE"}
    fixed = [param.opts[0] for param in ctx.command.params if param.name in given and param.name in MODEL_OPTIONS]
    if fixed:
        raise ConfigError(f"{name}'s card already fixes the data and the model; drop {fixed[0]}, or train without a catalog name")
    recipe = catalog.get(name).to_recipe()
    return recipe.with_training(**{key: ctx.params[key] for key in TRAINING_OPTIONS if key in given})


def train(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Catalog entry (see `dpzoo list`) whose recipe to train; the training options below may change its budget."),
    dataset: str = typer.Option("mnist", "--dataset", help="Dataset plugin name."),
    prior: str = typer.Option("decoupled", "--prior", help="Prior plugin name: gaussian or decoupled."),
    regularizer: str = typer.Option("vae", "--regularizer", help="Regularizer plugin name."),
    architecture: Optional[str] = typer.Option(None, "--architecture", help="Architecture; default: the dataset's."),
    latent_dim: int = typer.Option(16, "--latent-dim", help="Dimension d of z and u."),
    steps: int = typer.Option(2000, "--steps", help="Training steps."),
    batch_size: int = typer.Option(100, "--batch-size", help="Minibatch size."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate."),
    seed: int = typer.Option(0, "--seed", help="Random seed (weights, batches, noise)."),
    save_every: int = typer.Option(500, "--save-every", help="Steps between checkpoints."),
    out: Path = typer.Option(Path("runs/latest"), "--out", help="Checkpoint directory."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its last checkpoint."),
    settings: list[str] = typer.Option([], "--set", help="Plugin setting SECTION.FIELD=VALUE, repeatable."),
    nproc: int = typer.Option(1, "--nproc", help="Processes on this machine (via torchrun): one per GPU, or CPU processes."),
) -> None:
    """Train a model and write a checkpoint directory (safetensors, config.json, card, JSONL log).

    `dpzoo train factor-dpvae-celeba` trains that catalog entry's recipe exactly as its card states.

    --batch-size is the global batch: with --nproc N each process takes 1/N of it (docs/distributed.md).
    """
    from dpzoo.distributed import World
    from dpzoo.recipe import Recipe
    from dpzoo.train import train as run

    from .torchrun import relaunch

    if latent_dim < 1:
        raise ConfigError(f"--latent-dim must be at least 1, got {latent_dim}")
    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1, got {nproc}")
    overrides = parse_settings(settings, "SECTION.FIELD=VALUE", "regularizer.beta=5")
    if name is not None:
        recipe = catalog_recipe(ctx, name)
    else:
        training = {"steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed, "save_every": save_every}
        overrides["training"] = {**training, **overrides.get("training", {})}
        recipe = Recipe.create(dataset, prior, regularizer, architecture, latent_dim, overrides)
    if nproc > 1:
        if recipe.training.batch_size % nproc:
            raise ConfigError(f"--batch-size {recipe.training.batch_size} does not split over {nproc} processes; use a multiple of {nproc}")
        relaunch(ctx, nproc)
        return
    if not World.from_environment().main:
        run(recipe, out, resume=resume)
        return

    console = Console(stderr=True)
    columns = [
        TextColumn("[bold]step"), MofNCompleteColumn(), BarColumn(), TextColumn("{task.fields[terms]}"),
        TextColumn("{task.fields[speed]} steps/s"), TextColumn("ETA"), TimeRemainingColumn(),
    ]  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("train", total=recipe.training.steps, terms="", speed="-")

        def show(report) -> None:  # noqa: ANN001
            terms = " ".join(f"{k} {v:.3g}" for k, v in report.terms.items())
            progress.update(task, completed=report.step, terms=terms, speed=f"{report.steps_per_second:.1f}")

        run(recipe, out, resume=resume, on_progress=show)
    console.print(f"checkpoint written to {out}/")
