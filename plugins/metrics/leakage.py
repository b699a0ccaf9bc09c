"""Leakage: how much aggregate-posterior mass sits where the prior puts almost none (dpVAE authors' code).

At threshold τ: among samples z ~ q(z) with log p(z) < τ, the mean of log q(z) − log p(z). A large
value means the data's posterior leaks into regions the prior will never sample; lower is better.
Undefined (and shown as such) when no sample falls below τ.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dpzoo.evaluate.aggregate_posterior import aggregate_posterior_log_prob, sample_aggregate_posterior
from dpzoo.evaluate.chart import line_chart
from dpzoo.evaluate.context import EvaluationContext
from dpzoo.metric import Metric, Score


@dataclass(frozen=True)
class LeakageConfig:
    samples: int = 10_000  # z ~ q(z)
    thresholds: tuple[float, ...] = (-90, -70, -50, -30, -10, -1)  # authors' code

    def __post_init__(self) -> None:
        if self.samples < 1 or not self.thresholds:
            raise ValueError("samples must be at least 1 and thresholds not empty")


class Leakage(Metric):
    Config = LeakageConfig

    def __init__(self, config: LeakageConfig):
        super().__init__(config)
        self.samples_below: list[int] = []  # per threshold, filled by compute for the card

    def compute(self, context: EvaluationContext) -> list[Score]:
        c = self.config
        mu, logvar = context.posterior
        with torch.no_grad():
            z = sample_aggregate_posterior(c.samples, mu, logvar, context.generator("leakage"))
            log_p = context.model.prior.log_prob(z.to(context.model.device)).cpu().double()
        gap = aggregate_posterior_log_prob(z, mu, logvar) - log_p
        scores = []
        self.samples_below = []
        for tau in c.thresholds:
            below = log_p < tau
            self.samples_below.append(int(below.sum()))
            scores.append(Score(f"leakage_{tau:g}", f"leakage (τ = {tau:g})", gap[below].mean().item() if below.any() else None))
        context.write_picture(
            "leakage.png",
            "Leakage score against the threshold τ on log p(z)",
            line_chart(
                list(c.thresholds),
                [s.value for s in scores],
                "Leakage: mean of log q(z) - log p(z) over samples z ~ q(z) with log p(z) < tau",
                "threshold tau on log p(z)",
                "leakage (nats)",
            ),
        )
        return scores

    def describe(self, context: EvaluationContext) -> str:
        below = f"; samples below each τ: {', '.join(f'{n:,}' for n in self.samples_below)}" if self.samples_below else ""
        return f"{self.config.samples:,} samples of the aggregate posterior of {len(context.data.x):,} {context.data.split} examples{below}"
