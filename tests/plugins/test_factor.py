"""FactorVAE: the permutation, the discriminator's TC estimate, and its separately optimized discriminator."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dpzoo.plugins.priors.gaussian import GaussianPrior, GaussianPriorConfig
from dpzoo.plugins.regularizers.factor import FactorVAE, FactorVAEConfig, permute_dims
from dpzoo.regularizer import ForwardOutput, RegularizerContext

PRIOR = GaussianPrior(2, GaussianPriorConfig())


def output(z: torch.Tensor) -> ForwardOutput:
    n = len(z)
    return ForwardOutput(x=z, raw=z, mu=z, logvar=z, z=z, log_likelihood=-torch.rand(n), kl=torch.rand(n))


def test_permutation_keeps_each_column_multiset_and_breaks_the_rows() -> None:
    torch.manual_seed(0)
    z = torch.randn(64, 5)
    permuted = permute_dims(z)
    for k in range(5):
        assert torch.equal(torch.sort(permuted[:, k]).values, torch.sort(z[:, k]).values)
    rows = {tuple(r) for r in z.tolist()}
    assert sum(tuple(r) in rows for r in permuted.tolist()) < 5  # columns move independently


def gaussian_pairs(n: int, rho: float) -> torch.Tensor:
    a, b = torch.randn(n), torch.randn(n)
    return torch.stack([a, rho * a + math.sqrt(1 - rho**2) * b], 1)


@pytest.mark.parametrize("rho", [0.0, 0.9])
def test_trained_discriminator_estimates_the_total_correlation(rho: float) -> None:
    """TC of a bivariate Gaussian is −½ log(1 − ρ²): 0.83 nats at ρ = 0.9, 0 when independent."""
    torch.manual_seed(0)
    config = FactorVAEConfig(discriminator_width=64, discriminator_lr=1e-3)
    reg = FactorVAE(config, RegularizerContext(2, 1000))
    for step in range(150):
        reg.auxiliary_step(output(gaussian_pairs(256, rho)), PRIOR, step)
    with torch.no_grad():
        tc = reg.total_correlation(gaussian_pairs(4096, rho)).item()
    if rho == 0:
        assert abs(tc) < 0.1
    else:
        assert 0.5 < tc < 1.2  # true value 0.83


def test_loss_is_elbo_plus_gamma_times_the_logit_difference() -> None:
    reg = FactorVAE(FactorVAEConfig(gamma=7.0, discriminator_width=8), RegularizerContext(2, 100))
    z = torch.randn(10, 2)
    out = output(z)
    terms = reg.loss(out, PRIOR, 0)
    logits = reg.discriminator(z)
    tc = (logits[:, 0] - logits[:, 1]).mean()
    torch.testing.assert_close(terms["tc"], tc)
    torch.testing.assert_close(terms["loss"], -out.log_likelihood.mean() + out.kl.mean() + 7.0 * tc)


def test_discriminator_step_moves_only_the_discriminator_with_its_own_adam() -> None:
    reg = FactorVAE(FactorVAEConfig(discriminator_width=16), RegularizerContext(2, 100))
    optimizers = reg.auxiliary_optimizers()
    assert reg.auxiliary_optimizers()["discriminator"] is optimizers["discriminator"]  # created once
    adam = optimizers["discriminator"]
    assert adam.defaults["lr"] == 1e-4 and tuple(adam.defaults["betas"]) == (0.5, 0.9)
    assert {id(p) for p in reg.auxiliary_parameters()} == {id(p) for p in reg.discriminator.parameters()}
    encoder = nn.Linear(3, 4)
    stats = encoder(torch.randn(32, 3))
    z = stats[:, :2]
    before = [p.detach().clone() for p in reg.discriminator.parameters()]
    terms = reg.auxiliary_step(output(z), PRIOR, 0)
    assert encoder.weight.grad is None  # trained on detached z
    assert any(not torch.equal(a, b) for a, b in zip(before, reg.discriminator.parameters()))
    assert terms["disc_loss"].item() == pytest.approx(math.log(2), abs=0.1)  # untrained: near chance


def test_default_discriminator_is_five_hidden_layers_of_1000_with_leaky_relu_0_2() -> None:
    reg = FactorVAE(FactorVAEConfig(), RegularizerContext(10, 100))
    linears = [m for m in reg.discriminator if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(10, 1000)] + [(1000, 1000)] * 4 + [(1000, 2)]
    slopes = {m.negative_slope for m in reg.discriminator if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2} and FactorVAEConfig().gamma == 1000.0
