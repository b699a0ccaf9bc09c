"""FID(LP): FID of low-posterior samples, the prior samples that fall where no data point's posterior is (paper §5.1).

A regularized VAE with a Gaussian prior leaves pockets of the prior that the aggregate posterior does
not fill; samples from there are poor, so FID(LP) ≫ FID. The decoupled prior should fill them:
FID(LP) ≈ FID is the paper's claim.
"""

from __future__ import annotations

from dataclasses import dataclass

from dpzoo.evaluate.aggregate_posterior import low_posterior_samples
from dpzoo.evaluate.context import EvaluationContext
from dpzoo.metric import Metric, Score


@dataclass(frozen=True)
class FIDLowPosteriorConfig:
    samples: int = 10_000  # low-posterior images kept, as FID's sample count
    oversample: int = 10  # prior samples drawn per image kept: the lowest tenth by log q(z)

    def __post_init__(self) -> None:
        if self.samples < 2 or self.oversample < 1:
            raise ValueError("samples must be at least 2 and oversample at least 1")


class FIDLowPosterior(Metric):
    Config = FIDLowPosteriorConfig
    requires_images = True
    requires_inception = True

    def compute(self, context: EvaluationContext) -> list[Score]:
        context.require_images("fid-lp")
        c = self.config
        mu, logvar = context.posterior
        z = low_posterior_samples(context.model.prior, c.samples, mu, logvar, context.generator("fid-lp"), c.oversample)
        value = context.fid(context.decode(context.shard(z)), c.samples, f"fid-lp ({c.samples:,} samples)")
        return [Score("fid_lp", "FID (LP)", value)]

    def describe(self, context: EvaluationContext) -> str:
        c = self.config
        reference = context.settings.reference_size or len(context.data.x)
        return (
            f"the {c.samples:,} of {c.samples * c.oversample:,} prior samples with the lowest log q(z) under the "
            f"aggregate posterior of {len(context.data.x):,} {context.data.split} examples, vs {reference:,} {context.data.split} images"
        )
