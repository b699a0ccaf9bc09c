"""`dpzoo eval`, `dpzoo card`, `dpzoo traverse`: the paper's evaluation, the model card, latent traversals.

Where results go: `dpzoo eval DIR` updates DIR/README.md and writes DIR/eval/*.png, the checkpoint's
own card. A model that is not a directory the user named — the embedded default inside the installed
package, or a zoo name pulled into the Hugging Face cache — is never written into: without `--out`
its evaluation goes to ./NAME-eval/ in the current directory (a copy of its card with the new
numbers, e.g. ./dpvae-mnist-eval/). `--out` may name any directory, the package's own included.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from dpzoo.errors import ConfigError, DpzooError

from .settings import parse_settings



def _out_dir(model: Optional[str], source: Path, out: Optional[Path]) -> Path:
    from dpzoo.pretrained import DEFAULT_NAME

    if out is not None:
        return out
    if model is None or not Path(model).is_dir():
        return Path(f"{DEFAULT_NAME if model in (None, 'default') else Path(model).name}-eval")
    if not os.access(source, os.W_OK):
        raise DpzooError(f"cannot write the evaluation into {source}; pass --out DIR for the card and pictures")
    return source


def evaluate(
    ctx: typer.Context,
    model: Optional[str] = typer.Argument(None, help="Checkpoint directory or zoo name; default: the embedded dpvae-mnist."),
    metrics: list[str] = typer.Option([], "--metric", help="Metric to run, repeatable; default: every metric that fits the data."),
    settings: list[str] = typer.Option([], "--set", help="Metric setting METRIC.FIELD=VALUE, e.g. --set fid.samples=2000; repeatable."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same numbers."),
    reference_size: Optional[int] = typer.Option(None, "--reference-size", help="FID reference images (the first n of the split); default: all."),
    inception_weights: Optional[Path] = typer.Option(
        None, "--inception-weights", help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth; default: $DPZOO_INCEPTION_WEIGHTS, then the torch hub cache."
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Directory for README.md and eval/*.png; default: MODEL when it is a directory, else ./NAME-eval (e.g. ./dpvae-mnist-eval)."
    ),
    pictures: bool = typer.Option(True, "--pictures/--no-pictures", help="Draw samples, LP/HP samples, reconstructions and traversals."),
    card: bool = typer.Option(True, "--card/--no-card", help="Write the numbers into the model card (README.md)."),
    device: str = typer.Option("cpu", "--device", help="Torch device, e.g. cpu or cuda."),
    nproc: int = typer.Option(1, "--nproc", help="Processes on this machine (via torchrun) to share FID's sampling and Inception among."),
) -> None:
    """Evaluate a model as in the paper (§5.1) and record the numbers in its model card."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from dpzoo import card as cards
    from dpzoo import pretrained
    from dpzoo.distributed import World
    from dpzoo.evaluate.context import EvaluationSettings
    from dpzoo.evaluate.pictures import PictureConfig
    from dpzoo.evaluate.runner import evaluate as run

    from .torchrun import relaunch

    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1, got {nproc}")
    if nproc > 1:
        relaunch(ctx, nproc)
        return
    source = pretrained.resolve(model)
    out_dir = _out_dir(model, source, out)
    net = pretrained.load(model, device=device)
    eval_settings = EvaluationSettings(
        seed=seed, device=device, reference_size=reference_size, inception_weights=str(inception_weights) if inception_weights else None
    )
    overrides = parse_settings(settings, "METRIC.FIELD=VALUE", "fid.samples=2000")
    if not World.from_environment().main:  # under torchrun: share the FID work, leave the rest to rank 0
        run(net, metrics=metrics or None, overrides=overrides, settings=eval_settings, pictures=None)
        return
    console = Console(stderr=True)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console)
    tasks: dict[str, int] = {}

    def show(what: str, done: int, total: int) -> None:
        if not tasks:
            progress.start()  # only once there is work to show, so that an early error stays one line
        if what not in tasks:
            tasks[what] = progress.add_task(what, total=total)
        progress.update(tasks[what], completed=done)

    try:
        report = run(
            net,
            metrics=metrics or None,
            overrides=overrides,
            settings=eval_settings,
            out_dir=out_dir if pictures else None,
            pictures=PictureConfig() if pictures else None,
            progress=show,
        )
    finally:
        if tasks:
            progress.stop()
    _print_report(console, report)
    if card:
        path = cards.write_evaluation(report, out_dir, source, net.run_config)
        console.print(f"model card written to {path}")


def _print_report(console: Console, report) -> None:  # noqa: ANN001
    from rich.table import Table

    table = Table(title=f"{report.data} (seed {report.settings.seed})")
    for column in ("metric", "value", "computed on", "time"):
        table.add_column(column)
    for result in report.results:
        for i, score in enumerate(result.scores):
            value = "n/a" if score.value is None else f"{score.value:.4g}"
            table.add_row(score.label, value, result.description if i == 0 else "", f"{result.seconds:.1f} s" if i == 0 else "")
    Console().print(table)
    if report.reference_cached is not None:
        state = "from the cache" if report.reference_cached else "computed and cached"
        console.print(f"FID reference statistics {state} in {report.timings['reference statistics']:.1f} s")


def card(
    model: Optional[str] = typer.Argument(None, help="Checkpoint directory, zoo name, or a README.md; default: the embedded dpvae-mnist."),
) -> None:
    """Show a model's card (README.md) in the terminal."""
    from rich.markdown import Markdown

    from dpzoo import pretrained
    from dpzoo.checkpoint import CARD_FILE

    path = Path(model) if model and Path(model).is_file() else pretrained.resolve(model) / CARD_FILE
    if not path.is_file():
        raise DpzooError(f"{path} not found; train the model with `dpzoo train` or evaluate it with `dpzoo eval` to write its card")
    from huggingface_hub import ModelCard

    loaded = ModelCard.load(path)
    console = Console()
    console.print(Markdown(loaded.text))
    evaluation = (getattr(loaded.data, "dpzoo", None) or {}).get("evaluation")
    if not evaluation:
        console.print(f"[dim]no evaluation recorded in {path}; run `dpzoo eval`[/dim]")


def traverse(
    model: Optional[str] = typer.Argument(None, help="Checkpoint directory or zoo name; default: the embedded dpvae-mnist."),
    index: int = typer.Option(0, "--index", help="Which test example's encoding to start from."),
    dims: list[int] = typer.Option([], "--dim", help="Latent dimension to traverse, repeatable; default: all."),
    steps: int = typer.Option(11, "--steps", help="Images per row."),
    span: float = typer.Option(3.0, "--span", help="Traverse u from −span to span (standard deviations of N(0, I))."),
    out: Path = typer.Option(Path("traversal.png"), "--out", help="PNG file."),
) -> None:
    """Latent traversals, one row per dimension: linear in u for a dpVAE, in z for a Gaussian-prior VAE."""
    from dpzoo import images, pretrained
    from dpzoo.evaluate.context import EvaluationData
    from dpzoo.evaluate.pictures import traversal

    if span <= 0:
        raise ConfigError(f"--span must be positive, got {span}")
    net = pretrained.load(model)
    data = EvaluationData.of(net, "test")
    if not data.is_image:
        raise ConfigError(f"traversals are pictures; {data.dataset} yields points, not images")
    if not 0 <= index < len(data.x):
        raise ConfigError(f"--index must be between 0 and {len(data.x) - 1}, got {index}")
    grid = traversal(net, data.x[index : index + 1], steps, span, dims or None)
    path = images.save_grid(grid, out, nrow=steps)
    Console(stderr=True).print(f"wrote {len(grid) // steps} traversals of {steps} steps to {path}")
