"""InfoVAE-MMD: the kernels and the MMD against plain-loop NumPy, prior samples through g⁻¹."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dpzoo import config_io
from dpzoo.errors import ConfigError
from dpzoo.plugins.priors.decoupled import DecoupledPrior, DecoupledPriorConfig
from dpzoo.plugins.regularizers.info import InfoVAE, InfoVAEConfig, mmd
from dpzoo.regularizer import ForwardOutput, RegularizerContext


def mmd_loops(p: np.ndarray, q: np.ndarray, kernel: str, scale: float) -> float:
    def k(a: np.ndarray, b: np.ndarray) -> float:
        squared = sum((a[t] - b[t]) ** 2 for t in range(len(a)))
        return math.exp(-squared / scale) if kernel == "rbf" else scale / (scale + squared)

    def mean_k(a: np.ndarray, b: np.ndarray) -> float:
        return sum(k(a[i], b[j]) for i in range(len(a)) for j in range(len(b))) / (len(a) * len(b))

    return mean_k(p, p) + mean_k(q, q) - 2 * mean_k(p, q)


@pytest.mark.parametrize("kernel", ["rbf", "imq"])
@pytest.mark.parametrize("scale", [0.7, 9.0])
def test_mmd_matches_plain_loops(kernel: str, scale: float) -> None:
    rng = np.random.default_rng(0)
    p, q = rng.normal(size=(7, 3)), rng.normal(loc=0.5, size=(5, 3))
    got = mmd(torch.from_numpy(p), torch.from_numpy(q), kernel, scale).item()
    assert got == pytest.approx(mmd_loops(p, q, kernel, scale), rel=1e-12)


def test_default_rbf_scale_is_the_authors_kernel() -> None:
    """Authors' compute_kernel: exp(−mean_k (x_k − y_k)² / d)."""
    d = 4
    reg = InfoVAE(InfoVAEConfig(), RegularizerContext(d, 100))
    rng = np.random.default_rng(1)
    p, q = rng.normal(size=(6, d)), rng.normal(size=(6, d))

    def authors(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array([[math.exp(-np.mean((x - y) ** 2) / d) for y in b] for x in a])

    expected = authors(p, p).mean() + authors(q, q).mean() - 2 * authors(p, q).mean()
    assert mmd(torch.from_numpy(p), torch.from_numpy(q), "rbf", reg.scale).item() == pytest.approx(expected, rel=1e-12)
    assert InfoVAE(InfoVAEConfig(kernel="imq"), RegularizerContext(d, 100)).scale == 2 * d


def test_prior_samples_are_drawn_through_the_flow_and_train_it() -> None:
    torch.manual_seed(0)
    prior = DecoupledPrior(2, DecoupledPriorConfig())
    reg = InfoVAE(InfoVAEConfig(alpha=1.0, lambda_=1000.0), RegularizerContext(2, 100))
    z = torch.randn(16, 2)
    out = ForwardOutput(x=z, raw=z, mu=z, logvar=z, z=z, log_likelihood=torch.zeros(16), kl=torch.zeros(16))
    torch.manual_seed(5)
    terms = reg.loss(out, prior, 0)
    torch.manual_seed(5)
    expected = mmd(prior.flow.inverse(torch.randn(16, 2)), z, "rbf", 4.0)
    assert terms["mmd"].item() == pytest.approx(expected.item(), rel=1e-6)
    # α = 1 removes the KL: the flow's gradient comes from the MMD alone.
    terms["loss"].backward()
    assert all(p.grad is not None for p in prior.parameters() if p.requires_grad)
    assert sum(p.grad.abs().sum() for p in prior.parameters() if p.grad is not None) > 0
    torch.testing.assert_close(terms["loss"], terms["reconstruction"] + 1000.0 * terms["mmd"])


def test_loss_weights_follow_zhao_et_al() -> None:
    reg = InfoVAE(InfoVAEConfig(alpha=0.25, lambda_=10.0), RegularizerContext(2, 100))
    z = torch.randn(8, 2)
    out = ForwardOutput(x=z, raw=z, mu=z, logvar=z, z=z, log_likelihood=torch.randn(8), kl=torch.rand(8))
    terms = reg.loss(out, DecoupledPrior(2, DecoupledPriorConfig()), 0)
    expected = -out.log_likelihood.mean() + 0.75 * out.kl.mean() + 9.25 * terms["mmd"]
    torch.testing.assert_close(terms["loss"], expected)


def test_defaults_are_the_authors_mnist_config_and_a_maximized_mmd_is_refused() -> None:
    c = InfoVAEConfig()
    assert (c.alpha, c.lambda_, c.kernel) == (0.0, 1000.0, "rbf")
    with pytest.raises(ConfigError, match="MMD would be maximized"):
        config_io.from_dict(InfoVAEConfig, {"alpha": 0, "lambda_": 0.5})
