"""Start-up time of `dpzoo --help` and `dpzoo plugins`, each from a fresh interpreter.

The registry reads only entry-point metadata and the CLI imports torch inside command bodies, so
these two commands should cost a small multiple of a bare `python -c pass`, far below an
`import torch`. Every command runs once to warm the file cache, then `--repeats` times in
interleaved rounds (so a load spike on a shared machine hits all of them alike); the median is
reported, with its ratio to `python -c pass` measured in the same run. The CPU time of each child
(user + system) is recorded beside the wall time: on a shared machine it moves far less with load.

    python bench/startup.py [--repeats 15]   →  rich table + bench/results/startup.json
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from interleaved import conditions, write_result
from rich.console import Console
from rich.table import Table

RESULT = Path(__file__).parent / "results" / "startup.json"
BASELINE = "python -c pass"


def commands() -> dict[str, list[str]]:
    dpzoo = shutil.which("dpzoo") or str(Path(sys.executable).with_name("dpzoo"))
    return {
        BASELINE: [sys.executable, "-c", "pass"],
        "dpzoo --help": [dpzoo, "--help"],
        "dpzoo plugins": [dpzoo, "plugins"],
        "python -c 'import torch'": [sys.executable, "-c", "import torch"],  # what the lazy registry avoids
    }


def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running `argv`."""
    cpu, start = child_cpu_seconds(), time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env={**os.environ, "COLUMNS": "200"})
    return time.perf_counter() - start, child_cpu_seconds() - cpu


def measure(repeats: int) -> dict[str, dict[str, list[float]]]:
    argvs = commands()
    for argv in argvs.values():
        timed(argv)
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in argvs}
    for _ in range(repeats):
        for name, argv in argvs.items():
            wall, cpu = timed(argv)
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
    return times


def summary(wall: list[float], cpu: list[float], baseline: dict[str, float]) -> dict[str, object]:
    median_wall, median_cpu = statistics.median(wall), statistics.median(cpu)
    return {
        "median_s": round(median_wall, 4),
        "min_s": round(min(wall), 4),
        "max_s": round(max(wall), 4),
        "ratio_to_python": round(median_wall / baseline["wall"], 2),
        "median_cpu_s": round(median_cpu, 4),
        "cpu_ratio_to_python": round(median_cpu / baseline["cpu"], 2),
        "times_s": [round(t, 4) for t in wall],
        "cpu_times_s": [round(t, 4) for t in cpu],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per command (after one warm-up run)")
    repeats = parser.parse_args().repeats
    before = conditions(None)  # fresh processes with torch's default threads
    times = measure(repeats)
    baseline = {kind: statistics.median(times[BASELINE][kind]) for kind in ("wall", "cpu")}
    rows = {name: {"argv": argv, **summary(times[name]["wall"], times[name]["cpu"], baseline)} for name, argv in commands().items()}
    result = {"benchmark": "startup", "conditions": before, "repeats": repeats, "commands": rows}
    write_result(RESULT, result)

    table = Table(title=f"start-up, median of {repeats} fresh processes (× = ratio to {BASELINE})")
    table.add_column("command", no_wrap=True)
    for column in ("wall ms", "min ms", "wall ×", "CPU ms", "CPU ×"):
        table.add_column(column, justify="right")
    for name, row in rows.items():
        table.add_row(
            name,
            f"{1000 * row['median_s']:.0f}",
            f"{1000 * row['min_s']:.0f}",
            f"{row['ratio_to_python']:.1f}",
            f"{1000 * row['median_cpu_s']:.0f}",
            f"{row['cpu_ratio_to_python']:.1f}",
        )
    console = Console()
    console.print(table)
    console.print(f"load average {result['conditions']['load_average_before'][0]} before; written to {RESULT}")


if __name__ == "__main__":
    main()
