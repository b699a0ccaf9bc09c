"""The Typer app and its error handling: every dpzoo error becomes one line and a non-zero exit.

Commands import the library inside their bodies, so `dpzoo --help` starts without importing torch.
"""

from __future__ import annotations

import sys
import warnings

import typer
from typer.exceptions import TyperException

from dpzoo import __version__
from dpzoo.errors import DpzooError

from . import evaluate, hub, plugins, sample, train

app = typer.Typer(
    name="dpzoo",
    help="A model zoo of regularized VAEs with decoupled priors (dpVAE).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dpzoo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """A model zoo of regularized VAEs with decoupled priors (dpVAE)."""


app.command("sample")(sample.sample)
app.command("train")(train.train)
app.command("plugins")(plugins.plugins)
app.command("pull")(hub.pull)
app.command("push")(hub.push)
app.command("list")(hub.list_)
app.command("eval")(evaluate.evaluate)
app.command("card")(evaluate.card)
app.command("traverse")(evaluate.traverse)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"warning: {message}", file=sys.stderr)


def main() -> None:
    warnings.showwarning = _one_line_warning
    try:
        code = app(standalone_mode=False)
    except DpzooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except TyperException as exc:  # typer vendors click: usage errors derive from this
        print(f"error: {exc.format_message()} (see `dpzoo --help`)", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("error: interrupted; checkpoints already written are kept", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
