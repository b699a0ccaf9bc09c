"""`dpzoo train`: any regularizer × prior × dataset, with a rich progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from dpzoo.errors import ConfigError


def parse_settings(items: list[str]) -> dict[str, dict[str, str]]:
    """`--set section.field=value` → {section: {field: value}} (values are checked by the config)."""
    settings: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, field = key.partition(".")
        if not sep or not dot or not field:
            raise ConfigError(f"--set {item!r} is not SECTION.FIELD=VALUE (e.g. --set regularizer.beta=5)")
        settings.setdefault(section, {})[field] = value
    return settings


def train(
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
) -> None:
    """Train a model and write a checkpoint directory (safetensors, config.json, card, JSONL log)."""
    from dpzoo.recipe import Recipe
    from dpzoo.train import train as run

    if latent_dim < 1:
        raise ConfigError(f"--latent-dim must be at least 1, got {latent_dim}")
    overrides = parse_settings(settings)
    training = {"steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed, "save_every": save_every}
    overrides["training"] = {**training, **overrides.get("training", {})}
    recipe = Recipe.create(dataset, prior, regularizer, architecture, latent_dim, overrides)

    console = Console(stderr=True)
    columns = [
        TextColumn("[bold]step"), MofNCompleteColumn(), BarColumn(), TextColumn("{task.fields[terms]}"),
        TextColumn("{task.fields[speed]} steps/s"), TextColumn("ETA"), TimeRemainingColumn(),
    ]  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("train", total=steps, terms="", speed="-")

        def show(report) -> None:  # noqa: ANN001
            terms = " ".join(f"{k} {v:.3g}" for k, v in report.terms.items())
            progress.update(task, completed=report.step, terms=terms, speed=f"{report.steps_per_second:.1f}")

        run(recipe, out, resume=resume, on_progress=show)
    console.print(f"checkpoint written to {out}/")
