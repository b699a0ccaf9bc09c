"""`dpzoo plugins`: every registered plugin, by group, with the distribution that provides it."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from dpzoo import registry


def plugins(
    check: bool = typer.Option(False, "--check", help="Import every plugin and report the ones that fail."),
) -> None:
    """List the registered priors, regularizers, architectures, datasets and metrics."""
    table = Table(title="dpzoo plugins")
    for column in ("group", "name", "distribution", "version", "object"):
        table.add_column(column, overflow="fold")
    if check:
        table.add_column("status")
    for kind, group in registry.GROUPS.items():
        loaded = registry.loadable(kind) if check else {}  # each failure: one warning with its cause
        for info in registry.plugins(kind):
            row = [group, info.name, info.distribution, info.version, info.target]
            if check:
                row.append("ok" if info.name in loaded else "[red]import failed[/red]")
            table.add_row(*row)
    Console().print(table)
