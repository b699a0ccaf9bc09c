"""β-VAE-H: reconstruction + β·KL, with the KL the prior computes (eq. 5 through the flow)."""

from __future__ import annotations

import pytest
import torch

from dpzoo import config_io
from dpzoo.errors import ConfigError
from dpzoo.plugins.priors.decoupled import DecoupledPrior, DecoupledPriorConfig
from dpzoo.plugins.regularizers.beta_h import BetaVAEH, BetaVAEHConfig
from dpzoo.regularizer import ForwardOutput, RegularizerContext


def test_loss_is_reconstruction_plus_beta_times_the_priors_kl() -> None:
    torch.manual_seed(0)
    prior = DecoupledPrior(2, DecoupledPriorConfig())
    mu, logvar = torch.randn(5, 2), torch.randn(5, 2) - 1
    z = mu + torch.exp(0.5 * logvar) * torch.randn(5, 2)
    log_likelihood = -torch.rand(5) * 10
    out = ForwardOutput(x=z, raw=z, mu=mu, logvar=logvar, z=z, log_likelihood=log_likelihood, kl=prior.kl(mu, logvar, z))
    terms = BetaVAEH(BetaVAEHConfig(beta=3.0), RegularizerContext(2, 100)).loss(out, prior, 0)
    u, log_det = prior.flow(z)
    kl = (-0.5 * (1 + logvar).sum(1) + 0.5 * u.pow(2).sum(1) - log_det).mean()  # eq. 5
    torch.testing.assert_close(terms["kl"], kl)
    torch.testing.assert_close(terms["loss"], -log_likelihood.mean() + 3.0 * kl)


def test_default_beta_is_the_authors_and_negative_beta_is_refused() -> None:
    assert BetaVAEHConfig().beta == 5.0
    with pytest.raises(ConfigError, match="beta"):
        config_io.from_dict(BetaVAEHConfig, {"beta": -1})
