"""Training throughput of 1 process vs N data-parallel processes (torchrun + DDP/gloo) on this machine.

The same recipe (conv28 on the bundled MNIST digits, global batch 100, d = 16) is trained by
`dpzoo train` in one process, with torch's default intra-op threads (one per core) and with one
thread, and by `dpzoo train --nproc N` (OMP_NUM_THREADS = cores / N in each process, as --nproc
sets it). Throughput is read from the run's own log, between its first and last log lines, so
interpreter start-up, rendezvous and the first (warm-up) interval are left out. Runs alternate
between the settings (a load spike on a shared machine hits all alike); the median over repeats is
reported, with the ratio of examples per second of N processes to each one-process setting.

    python bench/ddp.py [--steps 200] [--repeats 3] [--nproc 2]   →  rich table + bench/results/ddp.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from dpzoo.checkpoint import LOG_FILE
from interleaved import conditions, write_result
from rich.console import Console
from rich.table import Table

RESULT = Path(__file__).parent / "results" / "ddp.json"
BATCH = 100  # global batch: the authors' MNIST setting


def train_command(prior: str, steps: int, log_every: int, out: Path, nproc: int) -> list[str]:
    return [
        sys.executable, "-m", "dpzoo.cli", "train", "--dataset", "mnist", "--architecture", "conv28",
        "--prior", prior, "--latent-dim", "16", "--batch-size", str(BATCH), "--steps", str(steps),
        "--save-every", str(steps), "--set", f"training.log_every={log_every}", "--out", str(out),
        "--nproc", str(nproc),
    ]  # fmt: skip


def steps_per_second(run: Path) -> float:
    """Steady-state rate from the log: steps between the first and last log lines over their seconds."""
    log = [json.loads(line) for line in (run / LOG_FILE).read_text().splitlines()]
    first, last = log[0], log[-1]
    return (last["step"] - first["step"]) / (last["seconds"] - first["seconds"])


def settings(nproc: int) -> dict[str, tuple[int, str | None]]:
    """label → (processes, OMP_NUM_THREADS; None: torch's default, one thread per core)."""
    return {"1 process": (1, None), "1 process, 1 thread": (1, "1"), f"{nproc} processes": (nproc, None)}


def measure(prior: str, nproc: int, threads: str | None, steps: int, log_every: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if threads is not None:
        env["OMP_NUM_THREADS"] = threads
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        command = train_command(prior, steps, log_every, out, nproc)
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return steps_per_second(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="training steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting, interleaved")
    parser.add_argument("--nproc", type=int, default=2, help="processes of the data-parallel runs")
    parser.add_argument("--prior", action="append", choices=["gaussian", "decoupled"], help="repeatable; default both")
    args = parser.parse_args()
    priors = args.prior or ["gaussian", "decoupled"]
    log_every = max(1, args.steps // 10)
    before = conditions(None)
    runs = settings(args.nproc)
    rates: dict[str, dict[str, list[float]]] = {prior: {label: [] for label in runs} for prior in priors}
    for _ in range(args.repeats):
        for prior in priors:
            for label, (nproc, threads) in runs.items():
                rates[prior][label].append(measure(prior, nproc, threads, args.steps, log_every))
    rows = {}
    many = f"{args.nproc} processes"
    for prior in priors:
        median = {label: statistics.median(values) for label, values in rates[prior].items()}
        rows[prior] = {
            label: {
                "steps_per_s": round(median[label], 2),
                "examples_per_s": round(median[label] * BATCH, 1),
                "runs_steps_per_s": [round(r, 2) for r in rates[prior][label]],
            }
            for label in runs
        }
        rows[prior]["ratio"] = round(median[many] / median["1 process"], 3)
        rows[prior]["ratio_to_one_thread"] = round(median[many] / median["1 process, 1 thread"], 3)
    result = {
        "benchmark": "ddp",
        "conditions": before,  # torch threads differ per setting: see the labels
        "recipe": f"mnist (bundled digits), conv28, d = 16, global batch {BATCH}, {args.steps} steps, rate over steps {log_every}–{args.steps}",
        "nproc": args.nproc,
        "repeats": args.repeats,
        "priors": rows,
    }
    write_result(RESULT, result)

    table = Table(title=f"training examples/s, median of {args.repeats} (conv28 MNIST, global batch {BATCH})")
    table.add_column("prior")
    for column in (*runs, f"{many} ÷ 1 process", f"{many} ÷ 1 thread"):
        table.add_column(column, justify="right")
    for prior, row in rows.items():
        table.add_row(
            prior, *(f"{row[label]['examples_per_s']:.0f}" for label in runs), f"{row['ratio']:.2f}×", f"{row['ratio_to_one_thread']:.2f}×"
        )
    console = Console()
    console.print(table)
    console.print(f"load average {result['conditions']['load_average_before'][0]} before; written to {RESULT}")


if __name__ == "__main__":
    main()
