"""sKL: KL(p‖q) + KL(q‖p) between the prior and the aggregate posterior, from samples (paper §5.1).

As the authors' code: 5,000 samples of each, the 1-NN estimator of Pérez-Cruz (2008), in the
generation space u for every model (u = g(z) with z ~ q(z), against u ~ N(0, I)); for the Gaussian
prior g is the identity, so this is the usual z-space comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dpzoo.evaluate.aggregate_posterior import sample_aggregate_posterior
from dpzoo.evaluate.context import EvaluationContext
from dpzoo.evaluate.knn_kl import knn_kl_divergence
from dpzoo.metric import Metric, Score


@dataclass(frozen=True)
class SymmetricKLConfig:
    samples: int = 5_000  # authors' code: 5,000 of each
    neighbours: int = 1  # authors' code: the 1-NN estimator

    def __post_init__(self) -> None:
        if self.neighbours < 1 or self.samples <= self.neighbours:
            raise ValueError("neighbours must be at least 1 and samples more than neighbours")


class SymmetricKL(Metric):
    Config = SymmetricKLConfig

    def compute(self, context: EvaluationContext) -> list[Score]:
        c = self.config
        generator = context.generator("skl")
        mu, logvar = context.posterior
        with torch.no_grad():
            z = sample_aggregate_posterior(c.samples, mu, logvar, generator).to(context.model.device)
            posterior = context.model.to_generation(z).cpu().double().numpy()
        prior = torch.randn(c.samples, context.model.latent_dim, generator=generator).double().numpy()
        forward = knn_kl_divergence(prior, posterior, c.neighbours)
        backward = knn_kl_divergence(posterior, prior, c.neighbours)
        return [
            Score("skl", "sKL", forward + backward),
            Score("kl_prior_posterior", "KL(p‖q)", forward),
            Score("kl_posterior_prior", "KL(q‖p)", backward),
        ]

    def describe(self, context: EvaluationContext) -> str:
        c = self.config
        return (
            f"{c.neighbours}-NN estimator in u-space, {c.samples:,} samples of N(0, I) and of the aggregate "
            f"posterior of {len(context.data.x):,} {context.data.split} examples"
        )
