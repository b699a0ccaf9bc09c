"""Importance-sampled log p(x) against the exact marginal likelihood of a linear-Gaussian VAE.

With p(z) = N(0, I) and p(x|z) = N(Wz + b, σ²I), p(x) = N(b, WWᵀ + σ²I) exactly. When W has
orthogonal columns the true posterior is a diagonal Gaussian, which the encoder can represent: then
every importance weight equals p(x) and the estimate is exact for any K.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from torch import nn

from dpzoo.architecture import Architecture
from dpzoo.evaluate.importance import importance_sampled_log_likelihood
from dpzoo.likelihood import LikelihoodConfig
from dpzoo.model import DPVAE, ModelConfig, PluginSpec
from dpzoo.plugins.priors.gaussian import GaussianPrior, GaussianPriorConfig
from dpzoo.plugins.regularizers.vae import VAE, VAEConfig
from dpzoo.regularizer import RegularizerContext

DATA_DIM, LATENT_DIM, MSE_WEIGHT = 6, 2, 2.0  # σ² = 1/(2w) = 0.25


class LinearGaussian(Architecture):
    """x̂ = Wz + b; q(z|x) = N(A x + c, diag exp(logvar)) with a constant log-variance."""

    data_shape = (DATA_DIM,)

    def __init__(self, w: torch.Tensor, b: torch.Tensor, a: torch.Tensor, c: torch.Tensor, logvar: torch.Tensor):
        super().__init__(LATENT_DIM, None)
        self.encoder = nn.Linear(DATA_DIM, 2 * LATENT_DIM).double()
        self.decoder = nn.Linear(LATENT_DIM, DATA_DIM).double()
        with torch.no_grad():
            self.encoder.weight.copy_(torch.cat([a, torch.zeros_like(a)]))
            self.encoder.bias.copy_(torch.cat([c, logvar]))
            self.decoder.weight.copy_(w)
            self.decoder.bias.copy_(b)


def linear_gaussian_vae(posterior_scale: float = 1.0) -> tuple[DPVAE, np.ndarray, np.ndarray]:
    """The model (encoder = exact posterior × `posterior_scale` on its std), W and b."""
    rng = np.random.default_rng(0)
    w = np.linalg.qr(rng.normal(size=(DATA_DIM, LATENT_DIM)))[0] * np.array([2.0, 0.7])  # orthogonal columns
    b = rng.normal(size=DATA_DIM)
    noise = 1 / (2 * MSE_WEIGHT)
    covariance = np.diag(1 / (1 + np.diag(w.T @ w) / noise))
    a = covariance @ w.T / noise
    logvar = np.log(np.diag(covariance)) + 2 * np.log(posterior_scale)
    t = lambda array: torch.tensor(array, dtype=torch.float64)  # noqa: E731
    architecture = LinearGaussian(t(w), t(b), t(a), t(-a @ b), t(logvar))
    config = ModelConfig(
        PluginSpec("linear"), PluginSpec("gaussian"), PluginSpec("vae"), latent_dim=LATENT_DIM,
        likelihood=LikelihoodConfig("mse", mse_weight=MSE_WEIGHT, link="identity"),
    )  # fmt: skip
    prior = GaussianPrior(LATENT_DIM, GaussianPriorConfig())
    model = DPVAE(architecture, prior, VAE(VAEConfig(), RegularizerContext(LATENT_DIM, 1)), config)
    return model.eval(), w, b


def exact_log_likelihood(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return multivariate_normal(b, w @ w.T + np.eye(DATA_DIM) / (2 * MSE_WEIGHT)).logpdf(x)


def _data(w: np.ndarray, b: np.ndarray, n: int = 20) -> torch.Tensor:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(n, LATENT_DIM))
    return torch.tensor(z @ w.T + b + rng.normal(scale=0.5, size=(n, DATA_DIM)))


def test_importance_sampling_with_the_true_posterior_is_exact_for_any_k() -> None:
    model, w, b = linear_gaussian_vae()
    x = _data(w, b)
    bounds = importance_sampled_log_likelihood(model, x, samples=3, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(bounds.log_likelihood.numpy(), exact_log_likelihood(x.numpy(), w, b), rtol=1e-10)
    np.testing.assert_allclose(bounds.elbo.numpy(), exact_log_likelihood(x.numpy(), w, b), rtol=1e-10)


def test_importance_sampling_with_a_wrong_proposal_converges_and_beats_the_elbo() -> None:
    model, w, b = linear_gaussian_vae(posterior_scale=1.6)
    x = _data(w, b)
    exact = exact_log_likelihood(x.numpy(), w, b)
    bounds = importance_sampled_log_likelihood(model, x, samples=2000, generator=torch.Generator().manual_seed(0), rows=3000)
    assert bounds.log_likelihood.mean().item() == pytest.approx(exact.mean(), abs=0.01)
    assert (bounds.elbo.numpy() < exact - 0.05).all()  # the ELBO is a strictly looser bound here
    few = importance_sampled_log_likelihood(model, x, samples=2, generator=torch.Generator().manual_seed(0))
    assert few.log_likelihood.mean() < bounds.log_likelihood.mean()  # more samples, tighter bound
