"""Data-parallel training and evaluation: N processes train what one process trains, resume across
process counts, train FactorVAE's discriminator in DDP too, fail fast when a process dies, and
share FID's work to give the FID of one process.

Distributed runs are 2 gloo processes on 127.0.0.1, started as torchrun starts them (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), or by `dpzoo train --nproc 2` itself.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import moons_recipe, needs_inception, real_inception_weights
from safetensors import safe_open
from safetensors.torch import load_file

from dpzoo import checkpoint
from dpzoo.batches import Batches
from dpzoo.distributed import Shard, World
from dpzoo.errors import ConfigError
from dpzoo.evaluate.statistics import Statistics
from dpzoo.model import DPVAE
from dpzoo.plugins.datasets.two_moons import TwoMoons, TwoMoonsConfig
from dpzoo.recipe import Recipe
from dpzoo.train import train

STEPS = 20
# The options of `moons_recipe(prior="gaussian", steps=STEPS)` as `dpzoo train` spells them.
MOONS_OPTIONS = [
    "--dataset", "two-moons", "--prior", "gaussian", "--latent-dim", "2", "--batch-size", "100",
    "--save-every", "10", "--set", "dataset.train_size=1000", "--set", "dataset.test_size=500",
    "--set", "training.log_every=10",
]  # fmt: skip

# Trains a recipe given as JSON and saves this rank's final weights beside the checkpoint. On every
# rank, train() returns only once rank 0 has written the whole final checkpoint (card included).
WORKER = """
import json, os, sys
from pathlib import Path
from safetensors import safe_open
from safetensors.torch import save_file
from dpzoo import checkpoint
from dpzoo.recipe import Recipe
from dpzoo.train import train
recipe = Recipe.from_dict(json.loads(sys.argv[1]))
model = train(recipe, sys.argv[2])
run = Path(sys.argv[2])
with safe_open(str(run / checkpoint.STATE_FILE), framework="pt") as state:
    assert int(state.metadata()["step"]) == recipe.training.steps, f"rank {os.environ['RANK']} returned before the final save"
assert (run / checkpoint.CARD_FILE).is_file(), f"rank {os.environ['RANK']} returned before the card was written"
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, sys.argv[2] + f".rank{os.environ['RANK']}")
"""

# FID of the embedded dpvae-mnist on a few samples; prints this rank's FID and whether the reference was cached.
EVAL_WORKER = """
import json
from dpzoo import pretrained
from dpzoo.evaluate.context import EvaluationSettings
from dpzoo.evaluate.runner import evaluate
report = evaluate(pretrained.load(None), ["fid"], {"fid": {"samples": 6}}, EvaluationSettings(seed=3, reference_size=6), pictures=None)
print(json.dumps([report.results[0].scores[0].value, report.reference_cached]))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], nproc: int = 2) -> list[subprocess.Popen]:
    """`python ARGS` in nproc processes, with the environment torchrun gives its workers."""
    port = _free_port()
    procs = []
    for rank in range(nproc):
        env = {
            **os.environ, "RANK": str(rank), "WORLD_SIZE": str(nproc), "LOCAL_RANK": str(rank),
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1",
        }  # fmt: skip
        procs.append(subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs


def _why(stderr: str) -> str:
    """What a failed run printed that says why: the C++ abort messages and Python errors, then the tail."""
    causes = [line for line in stderr.splitlines() if any(m in line for m in ("terminate called", "what()", "Error", "error:"))]
    return "\n".join(causes[:20]) + "\n…\n" + stderr[-1500:]


def _finish(procs: list[subprocess.Popen], timeout: float = 300) -> list[str]:
    """Each process's standard output, once all have exited successfully."""
    try:
        results = [p.communicate(timeout=timeout) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, _why(err)
    return [out for out, _ in results]


def _cli_train(options: list[str], out: Path, nproc: int = 2) -> None:
    _finish(_start(["-m", "dpzoo.cli", "train", *options, "--out", str(out)], nproc))


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = load_file(str(a / checkpoint.MODEL_FILE)), load_file(str(b / checkpoint.MODEL_FILE))
    assert wa.keys() == wb.keys()
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], rtol=1e-4, atol=1e-5, msg=key)


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / checkpoint.LOG_FILE).read_text().splitlines()]


def _saved_step(run: Path) -> int:
    with safe_open(str(run / checkpoint.STATE_FILE), framework="pt") as handle:
        return int(handle.metadata()["step"])


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: the Gaussian-prior VAE trained by one process on global batches of 100."""
    out = tmp_path_factory.mktemp("one") / "run"
    train(moons_recipe(prior="gaussian", steps=STEPS, training={"save_every": 10}), out)
    return out


def test_shards_are_disjoint_and_make_up_the_global_batch() -> None:
    data = TwoMoons(TwoMoonsConfig(train_size=1000)).load("train")
    whole = Batches(data, 100, seed=3)
    shards = [Shard(data, 100, 3, World(rank, 4)) for rank in range(4)]
    alone = Shard(data, 100, 3, World(0, 1))
    for step in (0, 7, 9, 10, 25):  # 10 global batches per epoch: steps 10 and 25 are in later epochs
        parts = [shard.indices(step) for shard in shards]
        assert all(len(part) == 25 for part in parts)
        # rank r holds positions r, r + 4, … of the batch one process draws (and the noise rows of those)
        assert torch.equal(torch.stack(parts, dim=1).reshape(-1), whole.indices(step))
        assert torch.equal(alone.indices(step), whole.indices(step))
    seen = torch.cat([shard.indices(step) for shard in shards for step in range(10)])
    assert len(set(seen.tolist())) == 1000  # one epoch: every example once, on exactly one rank
    streamed = list(shards[2].iterate(8, 12))
    assert all(torch.equal(x, data.tensors[0][shards[2].indices(s)]) for x, s in zip(streamed, range(8, 12)))


def test_a_batch_that_does_not_split_over_the_processes_is_refused() -> None:
    data = TwoMoons(TwoMoonsConfig(train_size=1000)).load("train")
    with pytest.raises(ConfigError, match="multiple of 3"):
        Shard(data, 100, 0, World(0, 3))


def test_two_processes_train_what_one_process_trains(one_process: Path, tmp_path: Path) -> None:
    """2 ranks × 50 examples per step follow 1 process × 100 (same data, same noise, averaged gradients)."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "dpzoo.cli", "train", *MOONS_OPTIONS, "--steps", str(STEPS), "--out", str(out), "--nproc", "2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)  # torchrun starts the two
    assert result.returncode == 0, _why(result.stderr)
    assert checkpoint.read_config(out) == checkpoint.read_config(one_process)
    _assert_same_weights(out, one_process)
    for mine, reference in zip(_log(out), _log(one_process), strict=True):
        assert mine.keys() == reference.keys() and mine["step"] == reference["step"]
        for term in set(mine) - {"step", "seconds"}:  # logged terms are averaged over the ranks
            assert mine[term] == pytest.approx(reference[term], rel=1e-5, abs=1e-6)
    assert result.stderr.count("checkpoint written") == 1  # only rank 0 reports


def test_a_checkpoint_resumes_under_another_number_of_processes(one_process: Path, tmp_path: Path) -> None:
    half = moons_recipe(prior="gaussian", steps=STEPS // 2, training={"save_every": 10})
    two_then_one = tmp_path / "two-then-one"
    _cli_train([*MOONS_OPTIONS, "--steps", str(STEPS // 2)], two_then_one)
    train(half.with_training(steps=STEPS), two_then_one, resume=True)
    _assert_same_weights(two_then_one, one_process)

    one_then_two = tmp_path / "one-then-two"
    train(half, one_then_two)
    _cli_train([*MOONS_OPTIONS, "--steps", str(STEPS), "--resume"], one_then_two)
    _assert_same_weights(one_then_two, one_process)
    assert [e["step"] for e in _log(one_then_two)] == [10, 20]


def test_factor_vae_with_the_decoupled_prior_trains_under_ddp_and_reloads(tmp_path: Path) -> None:
    recipe = Recipe.create("two-moons", "decoupled", "factor", None, 2, {
        "dataset": {"train_size": 1000, "test_size": 500},
        "regularizer": {"discriminator_width": 32, "discriminator_layers": 2, "gamma": 10.0},
        "training": {"steps": 10, "batch_size": 100, "save_every": 5, "log_every": 5},
    })  # fmt: skip
    out = tmp_path / "run"
    _finish(_start(["-c", WORKER, json.dumps(recipe.to_dict()), str(out)]))
    ranks = [load_file(f"{out}.rank{rank}") for rank in range(2)]
    torch.manual_seed(recipe.training.seed)  # as the trainer does: the initial weights
    initial = DPVAE.from_config(recipe.model).state_dict()
    discriminator = [k for k in initial if k.startswith("regularizer.discriminator.")]
    assert discriminator and any(not torch.equal(ranks[0][k], initial[k]) for k in discriminator)
    for key in initial:  # the discriminator's gradients were averaged too: its replicas agree
        torch.testing.assert_close(ranks[0][key], ranks[1][key], rtol=0, atol=1e-6, msg=key)
    model = checkpoint.load_model(out)
    for key, value in model.state_dict().items():
        assert torch.equal(value, ranks[0][key])
    assert all(k in _log(out)[-1] for k in ("tc", "disc_loss"))


def test_killing_one_process_fails_fast_and_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    procs = _start(["-m", "dpzoo.cli", "train", *MOONS_OPTIONS, "--steps", "100000", "--out", str(out)])
    try:
        deadline = time.monotonic() + 120
        while not (out / checkpoint.STATE_FILE).exists():
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "no checkpoint was written"
            time.sleep(0.05)
        procs[1].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        # "fast": not the 30 minutes of torch's collective timeout that a hung peer would wait for
        _, err = procs[0].communicate(timeout=120)
        elapsed = time.monotonic() - killed_at
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert procs[0].returncode == 1
    assert elapsed < 120
    message = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(message) == 1 and "process 0 of 2 lost contact" in message[0] and "--resume" in message[0]
    saved = _saved_step(out)
    assert saved > 0 and saved % 10 == 0
    checkpoint.load_model(out)
    recipe = Recipe.from_dict(checkpoint.read_config(out)).with_training(steps=saved + 10)
    train(recipe, out, resume=True)  # one process continues the run the two processes began
    assert _saved_step(out) == saved + 10 and _log(out)[-1]["step"] == saved + 10


def test_statistics_of_shards_are_those_of_all_the_features() -> None:
    """Three "processes" (threads) each hold a share; the all-reduce is a sum through a barrier."""
    features = np.random.default_rng(0).normal(2.0, 3.0, size=(101, 7))
    shares = np.array_split(features, 3)
    barrier, slots, found = threading.Barrier(3), [None] * 3, [None] * 3

    def run(rank: int) -> None:
        def total(array: np.ndarray) -> np.ndarray:
            slots[rank] = array
            barrier.wait()
            summed = sum(slots)
            barrier.wait()
            return summed

        found[rank] = Statistics.of_shards(shares[rank], total)

    threads = [threading.Thread(target=run, args=(rank,)) for rank in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for statistics in found:
        assert statistics.count == 101
        np.testing.assert_allclose(statistics.mu, features.mean(0), rtol=1e-12)
        np.testing.assert_allclose(statistics.sigma, np.cov(features, rowvar=False), rtol=1e-10)


@needs_inception
def test_two_processes_give_the_fid_of_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each process decodes and embeds half of the samples and of the reference images; the statistics are summed."""
    monkeypatch.setenv("DPZOO_INCEPTION_WEIGHTS", str(real_inception_weights()))
    values = {}
    for nproc in (1, 2):
        monkeypatch.setenv("DPZOO_HOME", str(tmp_path / str(nproc)))  # an empty cache: the reference is computed too
        values[nproc] = [json.loads(out.splitlines()[-1]) for out in _finish(_start(["-c", EVAL_WORKER], nproc))]
    (one, cached), = values[1]
    assert cached is False and all(c is False for _, c in values[2])
    assert values[2][0][0] == values[2][1][0]  # every process ends with the same statistics
    assert values[2][0][0] == pytest.approx(one, rel=1e-5)
    files = [next((tmp_path / str(n) / "fid-statistics").iterdir()) for n in (1, 2)]
    assert files[0].name == files[1].name
    a, b = (Statistics.load(f) for f in files)
    np.testing.assert_allclose(b.mu, a.mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.sigma, a.sigma, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--dataset", "two-moons", "--resume", "--set", "a.b=1", "--set", "c.d=2", "--nproc", "2"],
        ["eval", "some/model", "--metric", "fid", "--no-pictures", "--nproc", "2"],
    ],
)
def test_nproc_starts_the_same_command_without_it(argv: list[str]) -> None:
    from typer.main import get_command

    from dpzoo.cli.app import app
    from dpzoo.cli.torchrun import command_args

    group = get_command(app)
    parent = group.make_context("dpzoo", list(argv))
    command = group.get_command(parent, argv[0])
    original = command.make_context(argv[0], argv[1:], parent=parent)
    again = command_args(original, leave_out="nproc")
    assert "--nproc" not in again and again[0] == argv[0]
    reparsed = command.make_context(argv[0], again[1:], parent=parent)
    assert reparsed.params == {**original.params, "nproc": 1}
