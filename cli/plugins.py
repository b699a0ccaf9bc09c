"""`dpzoo plugins`: every registered plugin, by group, with the distribution that provides it."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from dpzoo import registry
from dpzoo.errors import PluginLoadError


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
        for info in registry.plugins(kind):
            row = [group, info.name, info.distribution, info.version, info.target]
            if check:
                try:
                    registry.get(kind, info.name)
                    row.append("ok")
                except PluginLoadError:
                    row.append("[red]import failed[/red]")
            table.add_row(*row)
    Console().print(table)
