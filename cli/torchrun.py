"""`--nproc N`: run the same dpzoo command in N processes on this machine, started by torchrun.

What the user would type, `torchrun --standalone --nproc_per_node N -m dpzoo.cli COMMAND …`, with
the command's own options passed through unchanged and one thread pool per process sized to share
the CPU cores (torchrun would otherwise pin each process to one thread, with a warning).
"""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from dpzoo import constants
from dpzoo.errors import ConfigError, DistributedError


def command_args(ctx: typer.Context, leave_out: str) -> list[str]:
    """The options and arguments of the command being run, as a command line again, without `leave_out`."""
    options: list[str] = []
    arguments: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name == leave_out or value is None:
            continue
        if param.param_type_name == "argument":
            arguments += [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]
            continue
        flag = param.opts[0]
        if param.is_flag:
            options += [flag] if value else param.secondary_opts[:1]
        elif param.multiple:
            options += [part for item in value for part in (flag, str(item))]
        else:
            options += [flag, str(value)]
    return [ctx.info_name or "", *options, *(["--", *arguments] if arguments else [])]


def relaunch(ctx: typer.Context, nproc: int) -> None:
    """Run this command in `nproc` processes under torchrun and wait for them."""
    if constants.torchrun_ranks()[1] > 1:
        raise ConfigError("--nproc starts torchrun itself; when you launch torchrun yourself, leave --nproc out")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
        "-m", "dpzoo.cli", *command_args(ctx, leave_out="nproc"),
    ]  # fmt: skip
    status = subprocess.run(command, env=env).returncode
    if status != 0:
        raise DistributedError(
            f"{ctx.info_name} in {nproc} processes failed (torchrun exit status {status}); the first error is "
            "printed above — checkpoints already written are kept"
        )
