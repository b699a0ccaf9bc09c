"""β-VAE-B: the capacity schedule and the |KL − C| objective."""

from __future__ import annotations

import pytest
import torch

from dpzoo import config_io
from dpzoo.errors import ConfigError
from dpzoo.plugins.priors.gaussian import GaussianPrior, GaussianPriorConfig
from dpzoo.plugins.regularizers.beta_b import BetaVAEB, BetaVAEBConfig
from dpzoo.regularizer import ForwardOutput, RegularizerContext


@pytest.mark.parametrize(("step", "capacity"), [(0, 0.0), (50_000, 12.5), (100_000, 25.0), (100_001, 25.0), (10**7, 25.0)])
def test_capacity_grows_linearly_to_its_maximum_then_stays(step: int, capacity: float) -> None:
    reg = BetaVAEB(BetaVAEBConfig(), RegularizerContext(2, 100))
    assert reg.capacity(step) == capacity


@pytest.mark.parametrize("step", [0, 20, 40, 80])
def test_loss_is_reconstruction_plus_gamma_times_distance_to_capacity(step: int) -> None:
    reg = BetaVAEB(BetaVAEBConfig(gamma=3.0, capacity_max=2.0, capacity_steps=40), RegularizerContext(2, 100))
    z = torch.zeros(6, 2)
    kl = torch.tensor([0.5, 1.0, 1.5, 0.5, 1.0, 1.5])  # mean 1.0
    out = ForwardOutput(x=z, raw=z, mu=z, logvar=z, z=z, log_likelihood=torch.full((6,), -4.0), kl=kl)
    terms = reg.loss(out, GaussianPrior(2, GaussianPriorConfig()), step)
    capacity = min(step / 40, 1.0) * 2.0
    assert terms["capacity"].item() == capacity
    assert terms["loss"].item() == pytest.approx(4.0 + 3.0 * abs(1.0 - capacity))
    assert terms["kl"].item() == pytest.approx(1.0) and terms["reconstruction"].item() == 4.0


def test_defaults_are_the_authors_mnist_config_and_bad_values_are_refused() -> None:
    c = BetaVAEBConfig()
    assert (c.gamma, c.capacity_max, c.capacity_steps) == (15.0, 25.0, 100_000)
    with pytest.raises(ConfigError, match="capacity_steps"):
        config_io.from_dict(BetaVAEBConfig, {"capacity_steps": 0})
