"""Training throughput of conv28 on MNIST (batch 100, d = 16): dpzoo's trainer against a bare PyTorch
loop, the cost of the decoupled prior over the Gaussian one, and what each optimization gave.

End to end: `dpzoo.train.train` (fresh run directory, checkpoints every `save_every` steps, log,
config, card) against `bare_loop.train` (data load, model, Adam, forward/backward/step), both with
the Gaussian and with the decoupled prior, in interleaved rounds. "bare (tuned)" is the bare loop
with dpzoo's flow module and fused Adam: the trainer's own cost is the gap to it.

Ablation: single training steps of the dpzoo model (`model.loss`, backward, optimizer step) with
the flow evaluated the textbook way, batched, compiled or as dpzoo's one-node chain, Adam per
tensor or fused, channels_last convolutions, another torch thread count — each in the same rounds.

    python bench/train_throughput.py [--quick] [--threads 1] [--rounds R] [--steps S] [--no-compile]
        →  rich tables + bench/results/train_throughput.json (-quick, -threadsN when not 1 thread)
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bare_loop
import torch
from coupling_variants import BatchedCouplingFlow, PlainCouplingFlow
from interleaved import Runs, conditions, interleave, paired_quartiles, paired_ratio, summary, write_result
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dpzoo.model import DPVAE, PluginSpec
from dpzoo.recipe import Recipe, load_dataset
from dpzoo.train import Progress, train

RESULTS = Path(__file__).parent / "results"
PRIORS = ("gaussian", "decoupled")


def recipe(prior: str, steps: int, save_every: int) -> Recipe:
    training = {"steps": steps, "batch_size": 100, "save_every": save_every, "log_every": 25, "seed": 0}
    return Recipe.create("mnist", prior=prior, regularizer="vae", architecture="conv28", latent_dim=16, overrides={"training": training})


def mnist_images() -> torch.Tensor:
    return load_dataset(PluginSpec("mnist")).load("train").tensors[0]


def end_to_end_variants(steps: int, save_every: int, scratch: Path) -> dict[str, Callable[[], dict[str, Any]]]:
    recipes = {prior: recipe(prior, steps, save_every) for prior in PRIORS}
    runs = iter(range(10**6))

    def dpzoo(prior: str) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            last: list[Progress] = []
            train(recipes[prior], scratch / f"{prior}-{next(runs)}", on_progress=last.append)
            return {"loop_steps_per_second": last[-1].steps_per_second}

        return run

    def bare(prior: str, tuned: bool) -> Callable[[], dict[str, Any]]:
        return lambda: bare_loop.train(mnist_images(), prior, steps, tuned=tuned)

    variants: dict[str, Callable[[], dict[str, Any]]] = {}
    for prior in PRIORS:
        variants[f"bare, {prior}"] = bare(prior, False)
        variants[f"dpzoo, {prior}"] = dpzoo(prior)
        variants[f"bare (tuned), {prior}"] = bare(prior, True)
    return variants


def step_loop(
    prior: str, flow: str = "chain", adam: str = "fused", channels_last: bool = False, threads: int | None = None, steps: int = 10
) -> Callable[[], None]:
    """`steps` training steps of the dpzoo model per call, with one choice of implementation."""
    torch.manual_seed(0)
    model = DPVAE.from_config(recipe(prior, 1, 1).model)
    if flow == "textbook":
        model.prior.flow = PlainCouplingFlow.sharing(model.prior.flow)
    elif flow == "batched":
        model.prior.flow = BatchedCouplingFlow(model.prior.flow)
    elif flow == "compiled":
        model.prior.flow = torch.compile(PlainCouplingFlow.sharing(model.prior.flow))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    options = {"fused": {"fused": True}, "foreach": {"foreach": True}, "per-tensor": {"foreach": False}}[adam]
    optimizer = torch.optim.Adam(model.vae_parameters(), lr=1e-3, **options)
    x = mnist_images()
    count = {"step": 0}

    def run() -> None:
        default_threads = torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        for _ in range(steps):
            step = count["step"]
            position = step % (len(x) // 100)
            _, terms = model.loss(x[position * 100 : (position + 1) * 100], step)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            count["step"] = step + 1
        torch.set_num_threads(default_threads)

    return run


def ablation_variants(threads: int, steps: int, compile_flow: bool) -> dict[str, tuple[Callable[[], None], int]]:
    """Name → (run, steps per run). The other thread count gets fewer steps: oversubscribed here, it
    can take a second per step."""
    other = 2 if threads == 1 else 1
    few = max(1, steps // 4)
    variants = {
        "gaussian | Adam per tensor": step_loop("gaussian", adam="per-tensor", steps=steps),
        "gaussian | fused Adam  [dpzoo]": step_loop("gaussian", steps=steps),
        "gaussian | channels_last, Adam per tensor": step_loop("gaussian", adam="per-tensor", channels_last=True, steps=steps),
        f"gaussian | fused Adam, {other} threads": step_loop("gaussian", threads=other, steps=few),
        "decoupled | textbook flow, Adam per tensor  [before]": step_loop("decoupled", "textbook", "per-tensor", steps=steps),
        "decoupled | textbook flow, foreach Adam": step_loop("decoupled", "textbook", "foreach", steps=steps),
        "decoupled | textbook flow, fused Adam": step_loop("decoupled", "textbook", "fused", steps=steps),
        "decoupled | batched s,t nets, fused Adam": step_loop("decoupled", "batched", "fused", steps=steps),
        "decoupled | one-node flow, Adam per tensor": step_loop("decoupled", "chain", "per-tensor", steps=steps),
        "decoupled | one-node flow, fused Adam  [dpzoo]": step_loop("decoupled", "chain", "fused", steps=steps),
        "decoupled | one-node flow, channels_last, Adam per tensor": step_loop(
            "decoupled", "chain", "per-tensor", channels_last=True, steps=steps
        ),
        f"decoupled | one-node flow, fused Adam, {other} threads": step_loop("decoupled", threads=other, steps=few),
    }
    if compile_flow:
        variants["decoupled | torch.compile(textbook flow), fused Adam"] = step_loop("decoupled", "compiled", "fused", steps=steps)
    return {name: (run, few if "threads" in name else steps) for name, run in variants.items()}


def check_flow_variants() -> float:
    """Largest difference between dpzoo's flow and the variants timed here, on random weights."""
    torch.manual_seed(0)
    flow = DPVAE.from_config(recipe("decoupled", 1, 1).model).prior.flow
    with torch.no_grad():
        for p in flow.parameters():
            p.normal_(0, 0.3)
        z = torch.randn(100, 16)
        u, log_det = flow(z)
        worst = 0.0
        for variant in (PlainCouplingFlow.sharing(flow), BatchedCouplingFlow(flow)):
            u2, log_det2 = variant(z)
            worst = max(worst, (u - u2).abs().max().item(), (log_det - log_det2).abs().max().item())
    if worst > 1e-4:
        raise SystemExit(f"a flow variant computes something else (max difference {worst}); the ablation would be meaningless")
    return worst


def fused_adam_channels_last_probe() -> dict[str, float]:
    """Why channels_last is not combined with fused Adam: after a resume it silently goes wrong.

    dpzoo checkpoints store tensors contiguous; the fused CPU kernel walks param, grad and state as
    flat arrays, so a channels_last weight with a contiguous exp_avg is updated with the wrong moments.
    """
    torch.manual_seed(0)
    weight, grads = torch.randn(8, 4, 3, 3), [torch.randn(8, 4, 3, 3) for _ in range(3)]

    def run(fused: bool, layout: torch.memory_format, reload: bool) -> torch.Tensor:
        p = torch.nn.Parameter(weight.clone().contiguous(memory_format=layout))
        optimizer = torch.optim.Adam([p], lr=0.1, fused=fused)
        for i, g in enumerate(grads):
            p.grad = g.clone().contiguous(memory_format=layout)
            optimizer.step()
            if reload and i == 0:
                state = optimizer.state_dict()
                state["state"][0] = {k: v.contiguous() for k, v in state["state"][0].items()}
                optimizer.load_state_dict(state)
        return p.detach().contiguous()

    reference = run(False, torch.contiguous_format, False)
    cl = torch.channels_last
    return {
        "per_tensor_channels_last_after_reload": (run(False, cl, True) - reference).abs().max().item(),
        "fused_channels_last": (run(True, cl, False) - reference).abs().max().item(),
        "fused_channels_last_after_reload": (run(True, cl, True) - reference).abs().max().item(),
    }


def rate_key(threads: int) -> str:
    """CPU time with one thread (robust to other people's load); wall time otherwise."""
    return "cpu" if threads == 1 else "wall"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (few steps, two rounds)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the cores here are shared)")
    parser.add_argument("--rounds", type=int, help="interleaved end-to-end rounds (default 10, quick 2)")
    parser.add_argument("--steps", type=int, help="steps per end-to-end run (default 200, quick 30)")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile variant (it compiles for minutes here)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 10)
    steps = args.steps or (30 if args.quick else 200)
    save_every = max(1, steps // 2)
    ablation_steps = 4 if args.quick else 20
    ablation_rounds = 2 if args.quick else 15
    torch.set_num_threads(args.threads)
    console = Console() if Console().is_terminal else Console(width=150)
    result: dict[str, Any] = {
        "benchmark": "train_throughput",
        "conditions": conditions(args.threads),
        "settings": {
            "model": "conv28, prior gaussian|decoupled (6 blocks, 64-64 s/t nets), regularizer vae, d = 16, batch 100",
            "data": "bundled MNIST, 5,000 training digits",
            "end_to_end": {"steps_per_run": steps, "save_every": save_every, "log_every": 25, "rounds": rounds},
            "ablation": {"steps_per_run": ablation_steps, "steps_per_run_other_threads": max(1, ablation_steps // 4), "rounds": ablation_rounds},
            "rate": f"{rate_key(args.threads)} time (process CPU time with 1 thread, wall clock otherwise)",
        },
        "flow_variant_max_difference": check_flow_variants(),
        "fused_adam_channels_last_probe": fused_adam_channels_last_probe(),
    }

    with tempfile.TemporaryDirectory(prefix="dpzoo-bench-") as scratch:
        console.print(f"end to end: {rounds} rounds of {steps}-step runs …")
        e2e = interleave(end_to_end_variants(steps, save_every, Path(scratch)), rounds, warmup=False)
    console.print(f"ablation: {ablation_rounds} rounds of {ablation_steps} steps …")
    variants = ablation_variants(args.threads, ablation_steps, not (args.quick or args.no_compile))
    ablation = interleave({name: run for name, (run, _) in variants.items()}, ablation_rounds)

    key = rate_key(args.threads)
    result["end_to_end"] = end_to_end_report(e2e, steps, key)
    result["ablation"] = ablation_report(ablation, {name: n for name, (_, n) in variants.items()}, key)
    result["headline"] = headline(e2e, ablation, key)
    path = RESULTS / f"train_throughput{'-quick' if args.quick else ''}{'' if args.threads == 1 else f'-threads{args.threads}'}.json"
    write_result(path, result)
    render(console, result, key)
    console.print(f"written to {path}")


def series(runs: Runs, key: str) -> list[float]:
    return runs.cpu if key == "cpu" else runs.wall


def end_to_end_report(e2e: dict[str, Runs], steps: int, key: str) -> dict[str, Any]:
    report = {}
    for name, runs in e2e.items():
        prior = name.split(", ")[1]
        loop = sorted(r["loop_steps_per_second"] for r in runs.reports)
        report[name] = {
            **summary(runs, steps),
            "loop_steps_per_second_median": round(loop[len(loop) // 2], 2),
            "speed_vs_bare": round(paired_ratio(series(e2e[f"bare, {prior}"], key), series(runs, key)), 3),
            "speed_vs_bare_tuned": round(paired_ratio(series(e2e[f"bare (tuned), {prior}"], key), series(runs, key)), 3),
        }
    return report


def ablation_report(ablation: dict[str, Runs], steps: dict[str, int], key: str) -> dict[str, Any]:
    before = series(ablation["decoupled | textbook flow, Adam per tensor  [before]"], key)
    gaussian = {
        setting: series(ablation[f"gaussian | {setting}"], key)
        for setting in ("Adam per tensor", "fused Adam  [dpzoo]", "channels_last, Adam per tensor")
    }
    report = {}
    per_step = max(steps.values())
    for name, runs in ablation.items():
        s = summary(runs, steps[name])
        if "channels_last" in name:
            same_adam = gaussian["channels_last, Adam per tensor"]
        else:
            same_adam = gaussian["Adam per tensor"] if "per tensor" in name else gaussian["fused Adam  [dpzoo]"]
        own = runs.wall if "threads" in name else series(runs, key)  # CPU time would count every thread
        own = [t * per_step / steps[name] for t in own]  # per as many steps as the other variants ran
        report[name] = {
            "ms_per_step_cpu": round(1000 * s["median_cpu_s"] / steps[name], 2),
            "ms_per_step_wall": round(1000 * s["median_wall_s"] / steps[name], 2),
            "time_vs_before": round(paired_ratio(own, before), 3),
            "time_vs_gaussian_same_adam": round(paired_ratio(own, same_adam), 3),
            "warmup_s": s["warmup_s"],
            "cpu_s": s["cpu_s"],
            "wall_s": s["wall_s"],
        }
    return report


def headline(e2e: dict[str, Runs], ablation: dict[str, Runs], key: str) -> dict[str, dict[str, float]]:
    """Each headline ratio: the median over rounds with the quartiles of the per-round values.

    `speed` is (time of the first) / (time of the second): above 1 means the second is faster;
    `overhead` is (time of the first) / (time of the second) − 1.
    """

    def compare(a: dict[str, Runs], num: str, den: str, minus: float = 0.0) -> dict[str, float]:
        q1, median, q3 = paired_quartiles(series(a[num], key), series(a[den], key))
        return {"value": round(median - minus, 3), "q1": round(q1 - minus, 3), "q3": round(q3 - minus, 3)}

    before, now = "decoupled | textbook flow, Adam per tensor  [before]", "decoupled | one-node flow, fused Adam  [dpzoo]"
    return {
        "speed dpzoo / bare, gaussian": compare(e2e, "bare, gaussian", "dpzoo, gaussian"),
        "speed dpzoo / bare, decoupled": compare(e2e, "bare, decoupled", "dpzoo, decoupled"),
        "speed dpzoo / bare (tuned), gaussian": compare(e2e, "bare (tuned), gaussian", "dpzoo, gaussian"),
        "speed dpzoo / bare (tuned), decoupled": compare(e2e, "bare (tuned), decoupled", "dpzoo, decoupled"),
        "overhead decoupled, dpzoo trainer": compare(e2e, "dpzoo, decoupled", "dpzoo, gaussian", 1.0),
        "overhead decoupled, bare loop (textbook flow)": compare(e2e, "bare, decoupled", "bare, gaussian", 1.0),
        "overhead decoupled, one step, before": compare(ablation, before, "gaussian | Adam per tensor", 1.0),
        "overhead decoupled, one step, dpzoo": compare(ablation, now, "gaussian | fused Adam  [dpzoo]", 1.0),
    }


def render(console: Console, result: dict[str, Any], key: str) -> None:
    e2e = Table(title=f"end to end, {result['settings']['end_to_end']['steps_per_run']}-step runs (median of rounds; ratios paired per round, {key} time)")
    for column in ("variant", "steps/s wall", "steps/s CPU", "loop steps/s", "× bare", "× bare (tuned)"):
        e2e.add_column(column, justify="left" if column == "variant" else "right")
    for name, row in result["end_to_end"].items():
        e2e.add_row(
            escape(name),
            f"{row['per_second_wall']:.1f}",
            f"{row['per_second_cpu']:.1f}",
            f"{row['loop_steps_per_second_median']:.1f}",
            f"{row['speed_vs_bare']:.3f}",
            f"{row['speed_vs_bare_tuned']:.3f}",
        )
    console.print(e2e)
    ablation = Table(title=escape(f"one training step, ablation ({key} time; [before] = dpzoo before optimizing, [dpzoo] = now)"))
    for column in ("prior | implementation", "ms/step CPU", "ms/step wall", "time × before", "time × gaussian", "warm-up s"):
        ablation.add_column(column, justify="left" if column.startswith("prior") else "right")
    for name, row in result["ablation"].items():
        ablation.add_row(
            escape(name),
            f"{row['ms_per_step_cpu']:.1f}",
            f"{row['ms_per_step_wall']:.1f}",
            f"{row['time_vs_before']:.3f}",
            f"{row['time_vs_gaussian_same_adam']:.3f}",
            f"{row['warmup_s']:.1f}",
        )
    console.print(ablation)
    head = Table(title="headline (median over rounds; quartiles of the per-round ratios)")
    for column in ("quantity", "median", "quartiles"):
        head.add_column(column, justify="left" if column == "quantity" else "right")
    for name, value in result["headline"].items():
        head.add_row(name, f"{value['value']:.3f}", f"{value['q1']:.3f} – {value['q3']:.3f}")
    console.print(head)
    c = result["conditions"]
    console.print(
        f"{c['cpu_count']} CPUs ({c['cpu']}), torch {c['torch']} with {c['torch_threads']} thread(s); load average "
        f"{c['load_average_before'][0]} before"
    )


if __name__ == "__main__":
    main()
