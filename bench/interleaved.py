"""Side-by-side timing on a shared machine: variants run in interleaved rounds (A B C, C B A, …).

A load spike then hits every variant of a round alike, and the alternating order cancels a steady
drift, so ratios are taken per round (paired) and the median over rounds is reported. Each run is timed twice: wall clock, and this process's CPU
time, which moves far less when other people's jobs take the cores (with one torch thread it is
the work done). Shared by bench/train_throughput.py, bench/sampling.py and bench/memory.py.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from dpzoo import __version__
from dpzoo.atomic import write_text


@dataclass
class Runs:
    """Per-round measurements of one variant: seconds, CPU seconds and whatever the run reported."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    warmup_s: float = 0.0


def interleave(variants: dict[str, Callable[[], dict[str, Any] | None]], rounds: int, warmup: bool = True) -> dict[str, Runs]:
    """Run every variant once untimed (unless `warmup` is False), then `rounds` timed rounds, each
    in the reverse order of the one before."""
    runs = {name: Runs() for name in variants}
    if warmup:
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            runs[name].warmup_s = time.perf_counter() - start
    for round_ in range(rounds):
        order = list(variants) if round_ % 2 == 0 else list(reversed(variants))  # A B C, C B A: drift cancels
        for name in order:
            run = variants[name]
            cpu, wall = time.process_time(), time.perf_counter()
            report = run()
            runs[name].wall.append(time.perf_counter() - wall)
            runs[name].cpu.append(time.process_time() - cpu)
            runs[name].reports.append(report or {})
    return runs


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median over rounds of numerator/denominator, each ratio taken within one round."""
    return statistics.median(n / d for n, d in zip(numerator, denominator))


def paired_quartiles(numerator: list[float], denominator: list[float]) -> list[float]:
    """First quartile, median and third quartile of the per-round ratios: how far to trust the median."""
    ratios = [n / d for n, d in zip(numerator, denominator)]
    if len(ratios) < 2:
        return ratios * 3
    return statistics.quantiles(ratios, n=4, method="inclusive")


def conditions(threads: int | None) -> dict[str, Any]:
    """What a reader needs to judge the numbers: machine, load, versions, torch threads (None: set per run)."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")), model)
    return {
        "dpzoo_version": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "torch_threads": threads,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Atomically write `result` as JSON, with the load average at the end of the run added."""
    result = {**result, "conditions": {**result["conditions"], "load_average_after": [round(x, 2) for x in os.getloadavg()]}}
    write_text(path, json.dumps(result, indent=2) + "\n")


def summary(runs: Runs, per_run: float = 1.0) -> dict[str, Any]:
    """Medians (and the raw per-round values) of one variant; `per_run` items were processed per run."""
    return {
        "median_wall_s": round(statistics.median(runs.wall), 4),
        "median_cpu_s": round(statistics.median(runs.cpu), 4),
        "per_second_wall": round(per_run / statistics.median(runs.wall), 2),
        "per_second_cpu": round(per_run / statistics.median(runs.cpu), 2),
        "warmup_s": round(runs.warmup_s, 3),
        "wall_s": [round(t, 4) for t in runs.wall],
        "cpu_s": [round(t, 4) for t in runs.cpu],
    }
