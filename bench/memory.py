"""Peak memory (RSS) of training and of the aggregate-posterior log-density, each in a fresh process.

Every workload runs in a child process (this script with `--child`), and its peak resident set
size is read from `wait4`'s rusage, so nothing of this process or of other runs is counted.
Each peak is reported beside the peak of a child that imports the same modules and builds the same
inputs but does no work, measured in the same rounds: the difference is what the work itself costs.

- Training: `dpzoo.train.train` on conv28 (batch 100, d = 16, decoupled prior, vae) for `--steps`
  steps with checkpoints, beside the bare loop of bench/bare_loop.py for as many steps.
- Aggregate posterior: log q(z) (zoo/evaluate/aggregate_posterior.py) at M points under N = 10,000
  posteriors, for growing M: blocking keeps the extra memory flat, while the dense M × N matrix
  (reported for scale) would grow linearly.

    python bench/memory.py [--quick] [--steps 300] [--repeats 2]
        →  rich table + bench/results/memory.json (memory-quick.json)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from interleaved import conditions, write_result
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"
N_POSTERIORS = 10_000


def child(kind: str, size: int, scratch: str) -> None:
    """One workload; prints its wall seconds as JSON. `size` is steps or points."""
    import torch

    torch.set_num_threads(1)
    if kind.startswith("train"):
        import bare_loop
        from dpzoo.model import PluginSpec
        from dpzoo.recipe import Recipe, load_dataset
        from dpzoo.train import train

        training = {"steps": size, "batch_size": 100, "save_every": max(1, size // 2), "log_every": 25}
        recipe = Recipe.create("mnist", prior="decoupled", regularizer="vae", architecture="conv28", latent_dim=16, overrides={"training": training})
        x = load_dataset(PluginSpec("mnist")).load("train").tensors[0]
        start = time.perf_counter()
        if kind == "train:dpzoo":
            train(recipe, Path(scratch) / "run")
        elif kind == "train:bare":
            bare_loop.train(x, "decoupled", size)
    else:
        from dpzoo.evaluate.aggregate_posterior import aggregate_posterior_log_prob

        generator = torch.Generator().manual_seed(0)
        mu, logvar = torch.randn(N_POSTERIORS, 16, generator=generator), torch.randn(N_POSTERIORS, 16, generator=generator) - 2
        z = torch.randn(size, 16, generator=generator)
        start = time.perf_counter()
        if kind == "aggregate:log_prob":
            aggregate_posterior_log_prob(z, mu, logvar)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def measure(kind: str, size: int) -> dict[str, float]:
    """Peak RSS (MiB) and wall seconds of one child running `kind`."""
    with tempfile.TemporaryDirectory(prefix="dpzoo-bench-") as scratch:
        argv = [sys.executable, __file__, "--child", kind, "--size", str(size), "--scratch", scratch]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
        output = process.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"the child for {kind} failed (exit {process.returncode})")
    return {"peak_rss_mib": usage.ru_maxrss / 1024, "seconds": json.loads(output)["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (30 steps, fewer points)")
    parser.add_argument("--steps", type=int, help="training steps (default 300, quick 30)")
    parser.add_argument("--repeats", type=int, help="rounds (default 2, quick 1); the median peak is reported")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size, args.scratch)
        return
    steps = args.steps or (30 if args.quick else 300)
    repeats = args.repeats or (1 if args.quick else 2)
    points = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    workloads = [("train:baseline", steps), ("train:dpzoo", steps), ("train:bare", steps)]
    for m in points:
        workloads += [("aggregate:baseline", m), ("aggregate:log_prob", m)]
    samples: dict[tuple[str, int], list[dict[str, float]]] = {w: [] for w in workloads}
    for _ in range(repeats):
        for kind, size in workloads:
            samples[(kind, size)].append(measure(kind, size))

    def peak(kind: str, size: int) -> float:
        return statistics.median(s["peak_rss_mib"] for s in samples[(kind, size)])

    rows: dict[str, dict[str, Any]] = {}
    for kind, size in workloads:
        if kind.endswith("baseline"):
            continue
        group = kind.split(":")[0]
        base = peak(f"{group}:baseline", size)
        label = f"{kind} ({size} steps)" if group == "train" else f"{kind} (M = {size:,} points, N = {N_POSTERIORS:,})"
        rows[label] = {
            "peak_rss_mib": round(peak(kind, size), 1),
            "baseline_peak_rss_mib": round(base, 1),
            "extra_mib": round(peak(kind, size) - base, 1),
            "seconds": round(statistics.median(s["seconds"] for s in samples[(kind, size)]), 3),
            **({"dense_matrix_mib": round(size * N_POSTERIORS * 8 / 2**20, 1)} if group == "aggregate" else {}),
            "peaks_mib": [round(s["peak_rss_mib"], 1) for s in samples[(kind, size)]],
        }
    result = {
        "benchmark": "memory",
        "conditions": conditions(1),
        "settings": {
            "training": f"conv28, decoupled prior, vae, batch 100, d = 16, {steps} steps, checkpoints every {max(1, steps // 2)}",
            "aggregate_posterior": f"N = {N_POSTERIORS:,} random diagonal Gaussians in d = 16, float64, default block",
            "repeats": repeats,
        },
        "workloads": rows,
    }
    path = RESULTS / ("memory-quick.json" if args.quick else "memory.json")
    write_result(path, result)

    console = Console() if Console().is_terminal else Console(width=150)
    table = Table(title=f"peak RSS of a fresh process (median of {repeats}); baseline = same imports and inputs, no work")
    for column in ("workload", "peak MiB", "baseline MiB", "extra MiB", "dense M×N MiB", "seconds"):
        table.add_column(column, justify="left" if column == "workload" else "right")
    for name, row in rows.items():
        dense = f"{row['dense_matrix_mib']:,.0f}" if "dense_matrix_mib" in row else "—"
        table.add_row(name, f"{row['peak_rss_mib']:.0f}", f"{row['baseline_peak_rss_mib']:.0f}", f"{row['extra_mib']:.0f}", dense, f"{row['seconds']:.2f}")
    console.print(table)
    console.print(f"load average {result['conditions']['load_average_before'][0]} before; written to {path}")


if __name__ == "__main__":
    main()
