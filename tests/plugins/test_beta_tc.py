"""β-TCVAE: the minibatch estimates of log q(z), log Π_j q(z_j) and their weights, checked against
plain-loop enumeration; the decomposition telescopes to log q(z|x) − log p(z) through the flow."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from dpzoo.errors import ConfigError
from dpzoo.plugins.priors.decoupled import DecoupledPrior, DecoupledPriorConfig
from dpzoo.plugins.regularizers.beta_tc import (
    BetaTCVAE,
    BetaTCVAEConfig,
    aggregate_posterior_log_probs,
    gaussian_log_density,
    log_weights,
)
from dpzoo.regularizer import ForwardOutput, RegularizerContext


def normal_pdf(x: float, mu: float, logvar: float) -> float:
    var = math.exp(logvar)
    return math.exp(-((x - mu) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var)


def weight(i: int, j: int, batch: int, n: int, sampling: str) -> float:
    """Chen et al. (2018), App. C, written out entry by entry."""
    if sampling == "weighted":
        return 1 / batch
    m = batch - 1
    if j == i:
        return 1 / n
    if j == (i + 1) % batch:
        return (n - m) / (n * m)
    return 1 / m


def brute_force(z, mu, logvar, n: int, sampling: str) -> tuple[list[float], list[float]]:
    batch, dims = len(z), len(z[0])
    log_qz, log_prod = [], []
    for i in range(batch):
        joint = 0.0
        for j in range(batch):
            density = 1.0
            for k in range(dims):
                density *= normal_pdf(z[i][k], mu[j][k], logvar[j][k])
            joint += weight(i, j, batch, n, sampling) * density
        log_qz.append(math.log(joint))
        total = 0.0
        for k in range(dims):
            pdfs = [normal_pdf(z[i][k], mu[j][k], logvar[j][k]) for j in range(batch)]
            marginal = sum(weight(i, j, batch, n, sampling) * pdfs[j] for j in range(batch))
            total += math.log(marginal)
        log_prod.append(total)
    return log_qz, log_prod


def batch_of(size: int, dims: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(size, dims, generator=g, dtype=torch.float64)
    logvar = 0.5 * torch.randn(size, dims, generator=g, dtype=torch.float64) - 1
    z = mu + torch.exp(0.5 * logvar) * torch.randn(size, dims, generator=g, dtype=torch.float64)
    return z, mu, logvar


@pytest.mark.parametrize("sampling", ["weighted", "stratified"])
def test_log_qz_and_product_of_marginals_match_enumeration(sampling: str) -> None:
    z, mu, logvar = batch_of(5, 3)
    log_qz, log_prod = aggregate_posterior_log_probs(z, mu, logvar, 40, sampling)
    expected_qz, expected_prod = brute_force(z.tolist(), mu.tolist(), logvar.tolist(), 40, sampling)
    torch.testing.assert_close(log_qz, torch.tensor(expected_qz, dtype=torch.float64), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(log_prod, torch.tensor(expected_prod, dtype=torch.float64), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("sampling", ["weighted", "stratified"])
def test_weight_matrix_matches_its_definition(sampling: str) -> None:
    batch, n = 6, 50
    expected = [[math.log(weight(i, j, batch, n, sampling)) for j in range(batch)] for i in range(batch)]
    torch.testing.assert_close(log_weights(batch, n, sampling), torch.tensor(expected, dtype=torch.float64), rtol=1e-12, atol=0)


@pytest.mark.parametrize("position", [0, 2])
def test_stratified_estimate_of_q_z_is_unbiased_over_all_batches(position: int) -> None:
    """Average over every ordered batch that holds the example n* at `position`: exactly q(z), jointly and per dimension.

    (The authors' matrix, which writes columns 0 and 1 instead of the diagonal, fails this.)
    """
    n, batch, dims, star = 5, 3, 2, 1
    _, mu, logvar = batch_of(n, dims, seed=1)
    z_star = mu[star] + 0.3  # any point; in training it is drawn from q(z|x_n*)
    exact_joint = torch.stack([gaussian_log_density(z_star, mu[m], logvar[m]).sum() for m in range(n)]).exp().mean()
    exact_marginals = torch.stack([gaussian_log_density(z_star, mu[m], logvar[m]) for m in range(n)]).exp().mean(0)
    joint, marginals, count = 0.0, [0.0] * dims, 0
    others = [m for m in range(n) if m != star]
    for rest in itertools.permutations(others, batch - 1):
        members = list(rest[:position]) + [star] + list(rest[position:])
        z = torch.zeros(batch, dims, dtype=torch.float64)
        z[position] = z_star
        log_qz, _ = aggregate_posterior_log_probs(z, mu[members], logvar[members], n, "stratified")
        joint += log_qz[position].exp().item()
        for k in range(dims):  # the per-dimension estimate with the same weights, by hand
            marginals[k] += sum(
                weight(position, j, batch, n, "stratified") * normal_pdf(z_star[k].item(), mu[m, k].item(), logvar[m, k].item())
                for j, m in enumerate(members)
            )
        count += 1
    assert joint / count == pytest.approx(exact_joint.item(), rel=1e-9)
    assert [q / count for q in marginals] == pytest.approx(exact_marginals.tolist(), rel=1e-9)


def test_weighted_sampling_over_the_whole_dataset_is_the_exact_aggregate_posterior() -> None:
    z, mu, logvar = batch_of(4, 2)
    log_qz, log_prod = aggregate_posterior_log_probs(z, mu, logvar, 4, "weighted")
    for i in range(4):
        pdf = [[normal_pdf(z[i, k].item(), mu[m, k].item(), logvar[m, k].item()) for k in range(2)] for m in range(4)]
        assert log_qz[i].item() == pytest.approx(math.log(sum(p[0] * p[1] for p in pdf) / 4), rel=1e-12)
        marginals = [sum(p[k] for p in pdf) / 4 for k in range(2)]
        assert log_prod[i].item() == pytest.approx(sum(math.log(q) for q in marginals), rel=1e-12)


@pytest.mark.parametrize("sampling", ["weighted", "stratified"])
def test_terms_telescope_to_log_q_z_given_x_minus_the_flow_prior(sampling: str) -> None:
    torch.manual_seed(3)
    prior = DecoupledPrior(3, DecoupledPriorConfig())
    reg = BetaTCVAE(BetaTCVAEConfig(alpha=2.0, beta=3.0, gamma=5.0, sampling=sampling), RegularizerContext(3, 1000))
    z, mu, logvar = (t.float() for t in batch_of(8, 3))
    out = ForwardOutput(x=z, raw=z, mu=mu, logvar=logvar, z=z, log_likelihood=-torch.rand(8), kl=torch.rand(8))
    terms = reg.loss(out, prior, 0)
    u, log_det = prior.flow(z)
    log_p = -0.5 * (u.pow(2).sum(1) + 3 * math.log(2 * math.pi)) + log_det
    log_q_zx = sum(-0.5 * (math.log(2 * math.pi) + logvar[:, k] + (z[:, k] - mu[:, k]) ** 2 / logvar[:, k].exp()) for k in range(3))
    total = terms["mi"] + terms["tc"] + terms["dim_kl"]
    torch.testing.assert_close(total, (log_q_zx - log_p).mean(), rtol=1e-5, atol=1e-5)
    log_qz, log_prod = aggregate_posterior_log_probs(z, mu, logvar, 1000, sampling)
    torch.testing.assert_close(terms["dim_kl"], (log_prod - log_p).mean(), rtol=1e-5, atol=1e-5)
    expected = terms["reconstruction"] + 2 * terms["mi"] + 3 * terms["tc"] + 5 * terms["dim_kl"]
    torch.testing.assert_close(terms["loss"], expected)
    assert terms["reconstruction"] == -out.log_likelihood.mean() and terms["kl"] == out.kl.mean()


@pytest.mark.parametrize("sampling", ["weighted", "stratified"])
def test_total_correlation_matches_the_gaussian_closed_form(sampling: str) -> None:
    """z = s + noise with Gaussian s: TC = −½ log(1 − ρ²), 0 for independent dimensions."""
    torch.manual_seed(0)
    n, sd = 200, 0.3
    reg = BetaTCVAE(BetaTCVAEConfig(sampling=sampling), RegularizerContext(2, n))
    shared = torch.randn(n, 1)
    independent = torch.randn(n, 2)
    correlated = torch.cat([shared, shared + 0.1 * torch.randn(n, 1)], 1)
    rho = 1 / math.sqrt((1 + sd**2) * (1 + 0.1**2 + sd**2))
    for mu, closed_form in ((independent, 0.0), (correlated, -0.5 * math.log(1 - rho**2))):
        z = mu + sd * torch.randn(n, 2)
        logvar = torch.full((n, 2), 2 * math.log(sd))
        out = ForwardOutput(x=z, raw=z, mu=mu, logvar=logvar, z=z, log_likelihood=torch.zeros(n), kl=torch.zeros(n))
        tc = reg.loss(out, DecoupledPrior(2, DecoupledPriorConfig()), 0)["tc"].item()
        assert tc == pytest.approx(closed_form, abs=0.15)


def test_a_batch_of_one_is_a_config_error() -> None:
    reg = BetaTCVAE(BetaTCVAEConfig(), RegularizerContext(2, 100))
    z = torch.zeros(1, 2)
    out = ForwardOutput(x=z, raw=z, mu=z, logvar=z, z=z, log_likelihood=torch.zeros(1), kl=torch.zeros(1))
    with pytest.raises(ConfigError, match="batch size"):
        reg.loss(out, DecoupledPrior(2, DecoupledPriorConfig()), 0)


def test_defaults_are_the_authors_mnist_config() -> None:
    c = BetaTCVAEConfig()
    assert (c.alpha, c.beta, c.gamma, c.sampling) == (1.0, 4.0, 150.0, "stratified")
