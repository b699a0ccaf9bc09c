"""The metric interface: one number (or a few) about a model, computed the same way for every model.

Metrics are plugins in the `dpzoo.metrics` entry-point group, so a third-party package adds one the
way dpzoo adds its own. A metric is a pure function of (model, evaluation data, its config): the
runner gives it an `EvaluationContext` (model, data, seeded generators, shared intermediates), times
it, and turns its scores into a `MetricResult` for the model card.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .evaluate.context import EvaluationContext

PAPER_ORDER = ("fid", "fid-lp", "skl", "nll", "leakage")  # Table 1's columns, then leakage


def paper_order(name: str) -> tuple[int, str]:
    """Sort key: the paper's metrics in Table 1's order, then any other metric by name."""
    return (PAPER_ORDER.index(name) if name in PAPER_ORDER else len(PAPER_ORDER), name)


@dataclass(frozen=True)
class Score:
    """One number of a metric: `key` is its model-index metric type, `label` what a reader sees."""

    key: str
    label: str
    value: float | None  # None: undefined for this model (e.g. no sample below a leakage threshold)


@dataclass(frozen=True)
class MetricResult:
    """What one metric measured, with everything needed to reproduce and compare it."""

    metric: str  # the registered plugin name
    scores: tuple[Score, ...]
    description: str  # one line: what was compared with what, sample counts
    settings: dict[str, Any]  # the metric's config as JSON
    seconds: float
    pictures: dict[str, str] = field(default_factory=dict)  # caption → PNG path


class Metric(ABC):
    """Base class of the `dpzoo.metrics` plugins; `Config` is a frozen dataclass of its settings."""

    Config: ClassVar[type]
    requires_images: ClassVar[bool] = False  # FID-type metrics; skipped by default for point data
    requires_inception: ClassVar[bool] = False  # checked before any metric runs, so a missing file fails fast

    def __init__(self, config: Any):
        self.config = config

    @abstractmethod
    def compute(self, context: EvaluationContext) -> list[Score]:
        """The metric's scores; pictures go through `context.write_picture`."""

    @abstractmethod
    def describe(self, context: EvaluationContext) -> str:
        """One line for the card: the data and sample counts behind the scores."""
