"""`dpzoo pull`, `dpzoo push`, `dpzoo list`: the zoo on the Hugging Face Hub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table

KEY_METRICS = {"fid": "FID", "fid_lp": "FID(LP)", "skl": "sKL", "nll": "NLL"}  # the metrics' score keys


def pull(
    name: str = typer.Argument(..., help="Catalog name (see `dpzoo list`) or a Hub repo id org/name."),
    revision: Optional[str] = typer.Option(None, "--revision", help="Branch, tag or commit; default: the catalog's pinned commit, or main."),
    refresh: bool = typer.Option(False, "--refresh", help="Ask the Hub where a branch or tag points now instead of trusting the cache."),
) -> None:
    """Download a model into the Hugging Face cache (HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE apply), check and build it."""
    from dpzoo import hub
    from dpzoo.checkpoint import load_model

    snapshot = hub.pull(name, revision, refresh=refresh)
    model = load_model(snapshot)
    config = model.config
    parameters = sum(p.numel() for p in model.parameters())
    Console(stderr=True).print(
        f"{name}: {hub.source(name, revision).repo_id}@{snapshot.name[:12]}, {config.regularizer.name} regularizer, "
        f"{config.prior.name} prior, {config.architecture.name}, {parameters:,} parameters; checked and ready"
    )
    typer.echo(str(snapshot))


def push(
    run_dir: Path = typer.Argument(..., help="Checkpoint directory written by `dpzoo train` (and `dpzoo eval`)."),
    repo_id: str = typer.Argument(..., help="Hub repository org/name; created if it does not exist."),
    private: bool = typer.Option(False, "--private", help="Create the repository as private."),
    revision: Optional[str] = typer.Option(None, "--revision", help="Branch to upload to (created if needed); default: main."),
) -> None:
    """Upload a checkpoint with its card, after checking that the card's metrics belong to these weights."""
    from dpzoo import hub

    url = hub.push(run_dir, repo_id, private=private, revision=revision)
    Console(stderr=True).print(f"uploaded {', '.join(hub.uploaded_files(run_dir))} to {repo_id}")
    typer.echo(url)


def _row(entry: Any, downloaded: str) -> dict[str, Any]:
    return {
        "name": entry.name,
        "dataset": entry.dataset,
        "regularizer": entry.regularizer,
        "prior": entry.prior,
        "metrics": entry.metrics,
        "published": entry.published,
        "repo_id": entry.repo_id,
        "revision": entry.revision,
        "downloaded": downloaded,
    }


def _downloaded(entry: Any) -> str:
    from dpzoo import hub, pretrained

    if entry.name == pretrained.DEFAULT_NAME and pretrained.EMBEDDED.is_dir():
        return "embedded"
    if entry.published and hub.cached(hub.Source(entry.repo_id, entry.revision)) is not None:
        return "yes"
    return "no"


def list_(as_json: bool = typer.Option(False, "--json", help="Print the catalog as JSON for scripts.")) -> None:
    """The zoo's catalog: every model, its key metrics (once evaluated), published or not, downloaded or not."""
    from dpzoo import catalog

    rows = [_row(entry, _downloaded(entry)) for entry in catalog.entries().values()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    console = Console()
    spelled_out = console.width >= 120  # narrower: the name alone says dataset, regularizer and prior
    table = Table(title=f"dpzoo catalog ({catalog.directory()})", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", no_wrap=True)  # what `pull`, `sample` and `train` take: never cut
    for column in ("dataset", "regularizer", "prior") if spelled_out else ():
        table.add_column(column, no_wrap=True)
    for column in KEY_METRICS.values():
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("published", no_wrap=True)
    table.add_column("downloaded", no_wrap=True)
    for row in rows:
        metrics = [f"{row['metrics'][key]:.3g}" if key in row["metrics"] else "—" for key in KEY_METRICS]
        published = "yes" if row["published"] else "[dim]no[/dim]"
        described = [row["dataset"], row["regularizer"], row["prior"]] if spelled_out else []
        table.add_row(row["name"], *described, *metrics, published, row["downloaded"])
    console.print(table)
    if any(not row["published"] for row in rows):
        console.print("[dim]Unpublished entries are recipes: `dpzoo train NAME` trains one.[/dim]")
