"""The paper's evaluation (section 5.1): FID, FID(LP), sKL, NLL, leakage and pictures.

`dpzoo.evaluate.evaluate(model)` is what `dpzoo eval` runs; `dpzoo.card.write_evaluation` records
its report in a model card.
"""

from .context import EvaluationData, EvaluationSettings
from .runner import EvaluationReport, evaluate

__all__ = ["EvaluationData", "EvaluationReport", "EvaluationSettings", "evaluate"]
