"""DIP-VAE: the covariance and its penalty against NumPy, the config, the entry point, and training
with both dpzoo priors."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch

from dpzoo import config_io, registry
from dpzoo.errors import ConfigError
from dpzoo.likelihood import LikelihoodConfig
from dpzoo.model import DPVAE, ModelConfig, PluginSpec
from dpzoo.regularizer import ForwardOutput, RegularizerContext
from dpzoo_dipvae.dip import DIPVAE, DIPVAEConfig, covariance

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def encoder_outputs(n: int = 64, d: int = 5, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Correlated means with unequal scales and an offset, and varied log-variances (float64)."""
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(d, d, generator=g, dtype=torch.float64)
    mu = torch.randn(n, d, generator=g, dtype=torch.float64) @ mixing + 3.0
    logvar = 0.5 * torch.randn(n, d, generator=g, dtype=torch.float64) - 1.0
    return mu, logvar


def numpy_covariance(mu: np.ndarray, logvar: np.ndarray, variant: str) -> np.ndarray:
    cov = np.cov(mu, rowvar=False, bias=True)
    return cov + np.diag(np.exp(logvar).mean(0)) if variant == "ii" else cov


@pytest.mark.parametrize("variant", ["i", "ii"])
def test_covariance_matches_numpy(variant):
    mu, logvar = encoder_outputs()
    expected = numpy_covariance(mu.numpy(), logvar.numpy(), variant)
    np.testing.assert_allclose(covariance(mu, logvar, variant).numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("variant", ["i", "ii"])
def test_loss_is_elbo_plus_weighted_covariance_penalty(variant):
    mu, logvar = encoder_outputs(n=32, d=4, seed=1)
    log_likelihood = torch.linspace(-5.0, -1.0, 32, dtype=torch.float64)
    kl = torch.linspace(0.5, 2.0, 32, dtype=torch.float64)
    out = ForwardOutput(x=mu, raw=mu, mu=mu, logvar=logvar, z=mu, log_likelihood=log_likelihood, kl=kl)
    config = DIPVAEConfig(variant=variant, lambda_od=3.0, lambda_d=7.0)
    terms = DIPVAE(config, RegularizerContext(latent_dim=4, dataset_size=32)).loss(out, prior=None, step=0)

    cov = numpy_covariance(mu.numpy(), logvar.numpy(), variant)
    off_diagonal = sum(cov[i, j] ** 2 for i in range(4) for j in range(4) if i != j)
    diagonal = sum((cov[i, i] - 1.0) ** 2 for i in range(4))
    elbo = log_likelihood.mean().item() - kl.mean().item()
    assert terms["dip_off_diagonal"].item() == pytest.approx(off_diagonal, rel=1e-12)
    assert terms["dip_diagonal"].item() == pytest.approx(diagonal, rel=1e-12)
    assert terms["reconstruction"].item() == pytest.approx(-log_likelihood.mean().item())
    assert terms["loss"].item() == pytest.approx(-elbo + 3.0 * off_diagonal + 7.0 * diagonal, rel=1e-12)


def test_config_round_trips_and_rejects_bad_values():
    config = DIPVAEConfig(variant="ii", lambda_od=5.0, lambda_d=5.0)
    assert config_io.from_dict(DIPVAEConfig, config_io.to_dict(config)) == config
    with pytest.raises(ConfigError, match="variant"):
        config_io.from_dict(DIPVAEConfig, {"variant": "iii"})
    with pytest.raises(ConfigError, match="non-negative"):
        config_io.from_dict(DIPVAEConfig, {"lambda_od": "-1"})


def test_entry_point_names_the_regularizer_and_the_current_plugin_api():
    target = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"][registry.GROUPS["regularizer"]]["dip"]
    module, _, attribute = target.partition(":")
    assert getattr(importlib.import_module(module), attribute) is DIPVAE
    assert DIPVAE.dpzoo_api == registry.API_VERSION


def aggregate_covariance_distance(prior: str, lambda_od: float, lambda_d: float, steps: int = 100) -> float:
    """‖Cov_q(z)[z] − I‖² on held-out two-moons points after training a small model with a plain loop."""
    torch.manual_seed(0)
    moons = registry.get("dataset", "two-moons")
    data = moons(moons.Config(train_size=2000, test_size=1000))
    train, test = data.load("train").tensors[0], data.load("test").tensors[0]
    architecture, prior_cls = registry.get("architecture", "mlp"), registry.get("prior", prior)
    config = ModelConfig(
        architecture=PluginSpec("mlp"), prior=PluginSpec(prior), regularizer=PluginSpec("dip"), latent_dim=2,
        likelihood=LikelihoodConfig(name="mse", link="identity", mse_weight=10.0), dataset_size=len(train),
    )  # fmt: skip
    model = DPVAE(
        architecture(2, architecture.Config()),
        prior_cls(2, prior_cls.Config()),
        DIPVAE(DIPVAEConfig(variant="ii", lambda_od=lambda_od, lambda_d=lambda_d), RegularizerContext(2, len(train))),
        config,
    )
    optimizer = torch.optim.Adam(model.vae_parameters(), lr=1e-3)
    for step in range(steps):
        batch = train[torch.randint(len(train), (100,))]
        _, terms = model.loss(batch, step)
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
    with torch.no_grad():
        mu, logvar = model.encode(test)
        cov = covariance(mu, logvar, "ii")
    return float((cov - torch.eye(2)).pow(2).sum())


@pytest.fixture
def one_thread():
    """A model this small trains fastest on one thread, and far faster on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("prior", ["gaussian", "decoupled"])
def test_penalty_moves_aggregate_posterior_covariance_towards_identity(prior, one_thread):
    plain = aggregate_covariance_distance(prior, lambda_od=0.0, lambda_d=0.0)
    dip = aggregate_covariance_distance(prior, lambda_od=50.0, lambda_d=50.0)
    assert dip < 0.1 * plain, (dip, plain)
