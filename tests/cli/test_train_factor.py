"""`dpzoo train --regularizer factor --prior decoupled --dataset mnist`: end to end through the console
script; the checkpoint brings its discriminator back, and the trainer state its Adam."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from dpzoo import checkpoint
from dpzoo.model import DPVAE

ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # a shared 2-core machine: intra-op threads only contend


def test_factor_dpvae_trains_from_the_cli_and_reloads_with_its_discriminator(tmp_path: Path, dpzoo_cli) -> None:
    run = tmp_path / "run"
    args = ["train", "--regularizer", "factor", "--prior", "decoupled", "--dataset", "mnist", "--out", str(run)]
    result = dpzoo_cli(*args, "--steps", "50", env=ONE_THREAD)
    assert result.returncode == 0, result.stderr
    assert "checkpoint written to" in result.stderr

    log = [json.loads(line) for line in (run / checkpoint.LOG_FILE).read_text().splitlines()]
    assert log[-1]["step"] == 50 and {"reconstruction", "kl", "tc", "disc_loss"} <= set(log[-1])
    config = checkpoint.read_config(run)
    assert config["model"]["regularizer"]["name"] == "factor"
    assert config["model"]["regularizer"]["config"]["gamma"] == 1000.0

    model = checkpoint.load_model(run)
    weights = load_file(str(run / checkpoint.MODEL_FILE))
    saved = {k: v for k, v in weights.items() if k.startswith("regularizer.discriminator.")}
    assert len(saved) == 12  # 6 linear layers: 5 hidden × 1000 and the 2-logit output
    for name, value in model.regularizer.discriminator.state_dict().items():
        assert torch.equal(value, saved[f"regularizer.discriminator.{name}"]), name
    assert saved["regularizer.discriminator.0.weight"].shape == (1000, 16)

    restored = DPVAE.from_config(model.config)
    optimizers = {"vae": torch.optim.Adam(restored.vae_parameters()), **restored.regularizer.auxiliary_optimizers()}
    assert checkpoint.load_training_state(run, restored, optimizers) == 50
    adam = optimizers["discriminator"]
    assert adam.param_groups[0]["lr"] == 1e-4 and tuple(adam.param_groups[0]["betas"]) == (0.5, 0.9)
    state = load_file(str(run / checkpoint.STATE_FILE))
    params = list(restored.regularizer.discriminator.parameters())
    assert len(adam.state) == len(params) == 12
    for index, param in enumerate(params):
        assert torch.equal(adam.state[param]["exp_avg"], state[f"optim/discriminator/{index}/exp_avg"])
        assert float(adam.state[param]["step"]) == 50
