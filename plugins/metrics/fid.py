"""FID: Fréchet distance of Inception pool3 features, generated samples vs the evaluation set (paper §5.1)."""

from __future__ import annotations

from dataclasses import dataclass

from dpzoo.evaluate.context import EvaluationContext
from dpzoo.metric import Metric, Score


@dataclass(frozen=True)
class FIDConfig:
    samples: int = 10_000  # as many generated images as MNIST's test set holds

    def __post_init__(self) -> None:
        if self.samples < 2:
            raise ValueError("samples must be at least 2")


class FID(Metric):
    """Samples u ~ N(0, I), z = g⁻¹(u), decoded to their mean image: what `dpzoo sample` draws."""

    Config = FIDConfig
    requires_images = True
    requires_inception = True

    def compute(self, context: EvaluationContext) -> list[Score]:
        context.require_images("fid")
        z = context.model.prior.sample(self.config.samples, generator=context.generator("fid"))
        value = context.fid(context.decode(context.shard(z)), self.config.samples, f"fid ({self.config.samples:,} samples)")
        return [Score("fid", "FID", value)]

    def describe(self, context: EvaluationContext) -> str:
        reference = context.settings.reference_size or len(context.data.x)
        return f"{self.config.samples:,} samples vs {reference:,} {context.data.split} images, Inception pool3 ({context.inception.identity})"
