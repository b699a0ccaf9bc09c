"""NLL: −log p(x) on held-out data by importance sampling, in nats per example and bits per dimension.

The paper reports an importance-sampled NLL; the authors' code computed the (negative) ELBO instead.
Both come from the same K draws of q(z|x) and are reported, labelled: the IS estimate is a lower
bound on log p(x) that is far tighter than the ELBO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from dpzoo.evaluate.context import EvaluationContext
from dpzoo.evaluate.importance import importance_sampled_log_likelihood
from dpzoo.metric import Metric, Score


@dataclass(frozen=True)
class NLLConfig:
    importance_samples: int = 1_000  # K; Burda et al. 2016 use 5,000, 1,000 is within a fraction of a nat
    examples: int | None = None  # held-out examples evaluated (the first n); None = the whole split

    def __post_init__(self) -> None:
        if self.importance_samples < 1 or (self.examples is not None and self.examples < 1):
            raise ValueError("importance_samples and examples must be at least 1")


class NLL(Metric):
    Config = NLLConfig

    def compute(self, context: EvaluationContext) -> list[Score]:
        c = self.config
        x = context.data.x[: c.examples]
        generator = context.generator("nll")
        log_likelihood, elbo = [], []
        batch = max(1, min(len(x), 100))
        for start in range(0, len(x), batch):
            bounds = importance_sampled_log_likelihood(context.model, x[start : start + batch].to(context.model.device), c.importance_samples, generator)
            log_likelihood.append(bounds.log_likelihood.cpu())
            elbo.append(bounds.elbo.cpu())
            context.report(f"nll ({len(x):,} examples × {c.importance_samples:,} samples)", min(start + batch, len(x)), len(x))
        nll = -torch.cat(log_likelihood).mean().item()
        negative_elbo = -torch.cat(elbo).mean().item()
        dims = x[0].numel()
        return [
            Score("nll", "NLL (nats/example)", nll),
            Score("nll_bits_per_dim", "NLL (bits/dim)", nll / (dims * math.log(2))),
            Score("negative_elbo", "−ELBO (nats/example; what the authors' code reported)", negative_elbo),
        ]

    def describe(self, context: EvaluationContext) -> str:
        n = min(self.config.examples or len(context.data.x), len(context.data.x))
        return f"importance sampling with K = {self.config.importance_samples:,} draws of q(z|x), {n:,} {context.data.split} examples"
