"""Sampling speed of the embedded default model (dpvae-mnist: conv28 decoder, 6-block RealNVP prior).

In process: images/s of `model.sample(n)` for n = 10,000 (u ~ N(0, I), z = g⁻¹(u), decoder), beside
its two halves timed alone in the same rounds: the flow inverse, and the decoder on z ~ N(0, I)
(what sampling costs with a Gaussian prior), plus the same n drawn in chunks of 250 and of 1,000
(the decoder's activations for a few hundred images stay in cache).

From a cold process: wall time of `dpzoo sample --n 64 --out grid.png`, beside `python -c pass`,
`python -c 'import torch'` and the same work as a three-line Python script (load, sample, save), so
the CLI's own share can be read off. Median of `--repeats` interleaved rounds.

    python bench/sampling.py [--quick] [--threads 1] [--repeats 7]
        →  rich tables + bench/results/sampling.json (sampling-quick.json)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from interleaved import conditions, interleave, paired_ratio, summary, write_result
from rich.console import Console
from rich.table import Table

from dpzoo import pretrained

RESULTS = Path(__file__).parent / "results"
SCRIPT = (
    "import sys, torch; from dpzoo import images, pretrained; "
    "images.save_grid(pretrained.load().sample(64, generator=torch.Generator().manual_seed(0)), sys.argv[1])"
)
# The same, with the 8×8 grid written by PIL: dpzoo.images imports torchvision for save_image, and
# torchvision's import pulls in torch._dynamo; this variant shows what that import costs.
SCRIPT_PIL = (
    "import sys, torch; from PIL import Image; from dpzoo import pretrained; "
    "x = pretrained.load().sample(64, generator=torch.Generator().manual_seed(0)).clamp(0, 1); "
    "g = torch.zeros(8 * 30 + 2, 8 * 30 + 2); "
    "[g.__setitem__((slice(2 + 30 * (i // 8), 30 + 30 * (i // 8)), slice(2 + 30 * (i % 8), 30 + 30 * (i % 8))), x[i, 0]) for i in range(64)]; "
    "Image.fromarray(g.mul(255).add(0.5).clamp(0, 255).byte().numpy()).save(sys.argv[1])"
)


def in_process_variants(n: int) -> dict[str, Callable[[], None]]:
    model = pretrained.load()
    generator = torch.Generator().manual_seed(0)

    def whole() -> None:
        model.sample(n, generator=generator)

    def chunked(size: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(n // size):
                model.sample(size, generator=generator)

        return run

    @torch.no_grad()
    def decoder_only() -> None:
        model.decode(torch.randn(n, model.latent_dim, generator=generator))

    @torch.no_grad()
    def inverse_only() -> None:
        model.from_generation(torch.randn(n, model.latent_dim, generator=generator))

    return {
        f"model.sample({n})": whole,
        f"model.sample(250) × {n // 250}": chunked(250),
        f"model.sample(1000) × {n // 1000}": chunked(1000),
        "decoder alone (Gaussian-prior sampling)": decoder_only,
        "flow inverse alone": inverse_only,
    }


def child_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_commands(out: Path, threads: int) -> dict[str, Callable[[], None]]:
    dpzoo = shutil.which("dpzoo") or str(Path(sys.executable).with_name("dpzoo"))
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "COLUMNS": "200"}
    argvs = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import torch'": [sys.executable, "-c", "import torch"],
        "python script: load, sample 64, save grid": [sys.executable, "-c", SCRIPT, str(out / "script.png")],
        "same script, grid PNG by PIL (no torchvision)": [sys.executable, "-c", SCRIPT_PIL, str(out / "pil.png")],
        "dpzoo sample --n 64": [dpzoo, "sample", "--n", "64", "--out", str(out / "cli.png")],
    }

    def command(argv: list[str]) -> Callable[[], None]:
        return lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)

    return {name: command(argv) for name, argv in argvs.items()}


def cold_runs(commands: dict[str, Callable[[], None]], repeats: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU (user + system of the child) seconds per command, interleaved; one warm-up each."""
    for run in commands.values():
        run()
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in commands}
    for _ in range(repeats):
        for name, run in commands.items():
            cpu, wall = child_seconds(), time.perf_counter()
            run()
            times[name]["wall"].append(time.perf_counter() - wall)
            times[name]["cpu"].append(child_seconds() - cpu)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (n = 2,000, two rounds)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, here and in the child processes")
    parser.add_argument("--repeats", type=int, help="interleaved rounds (default 7, quick 2)")
    args = parser.parse_args()
    n = 2000 if args.quick else 10_000
    repeats = args.repeats or (2 if args.quick else 7)
    torch.set_num_threads(args.threads)
    console = Console() if Console().is_terminal else Console(width=150)
    result: dict[str, Any] = {
        "benchmark": "sampling",
        "conditions": conditions(args.threads),
        "settings": {"model": "embedded dpvae-mnist (conv28, d = 16, 6-block flow)", "n": n, "rounds": repeats},
    }

    runs = interleave(in_process_variants(n), repeats)
    full = f"model.sample({n})"
    decoder = "decoder alone (Gaussian-prior sampling)"
    key = "cpu" if args.threads == 1 else "wall"
    result["in_process"] = {
        name: {
            **summary(r, n),
            "time_vs_decoder_alone": round(paired_ratio(getattr(r, key), getattr(runs[decoder], key)), 3),
            "time_vs_sample": round(paired_ratio(getattr(r, key), getattr(runs[full], key)), 3),
        }
        for name, r in runs.items()
    }
    with tempfile.TemporaryDirectory(prefix="dpzoo-bench-") as out:
        cold = cold_runs(cold_commands(Path(out), args.threads), repeats)
    baseline = {kind: statistics.median(cold["python -c pass"][kind]) for kind in ("wall", "cpu")}
    result["cold_process"] = {
        name: {
            "median_wall_s": round(statistics.median(t["wall"]), 3),
            "median_cpu_s": round(statistics.median(t["cpu"]), 3),
            "wall_minus_python_s": round(statistics.median(t["wall"]) - baseline["wall"], 3),
            "wall_vs_script": round(paired_ratio(t["wall"], cold["python script: load, sample 64, save grid"]["wall"]), 3),
            "wall_s": [round(x, 3) for x in t["wall"]],
            "cpu_s": [round(x, 3) for x in t["cpu"]],
        }
        for name, t in cold.items()
    }
    path = RESULTS / ("sampling-quick.json" if args.quick else "sampling.json")
    write_result(path, result)

    table = Table(title=f"in process, n = {n} (median of {repeats} rounds; ratios paired per round, {key} time)")
    for column in ("what", "images/s CPU", "images/s wall", "time × decoder alone", "time × sample"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for name, row in result["in_process"].items():
        table.add_row(
            name,
            f"{row['per_second_cpu']:,.0f}",
            f"{row['per_second_wall']:,.0f}",
            f"{row['time_vs_decoder_alone']:.3f}",
            f"{row['time_vs_sample']:.3f}",
        )
    console.print(table)
    table = Table(title=f"from a cold process (median of {repeats} interleaved runs)")
    for column in ("command", "wall s", "CPU s", "wall − python s", "wall × script"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, row in result["cold_process"].items():
        table.add_row(
            name,
            f"{row['median_wall_s']:.2f}",
            f"{row['median_cpu_s']:.2f}",
            f"{row['wall_minus_python_s']:.2f}",
            f"{row['wall_vs_script']:.2f}",
        )
    console.print(table)
    console.print(f"load average {result['conditions']['load_average_before'][0]} before; written to {path}")


if __name__ == "__main__":
    main()
