"""`dpzoo.evaluate.evaluate`: run the selected metrics on a model and return timed, reproducible results.

What `dpzoo eval` does, callable from Python. Metrics are looked up in the registry by name and
configured from `{metric: {field: value}}` overrides; point-data models skip the image metrics unless
they are asked for by name. When a metric needs the Inception weights, their absence stops the
evaluation before anything runs rather than after minutes of other metrics. Under torchrun
(`dpzoo eval --nproc N`) the FID-type metrics are shared out over the processes and run first;
the other metrics and the pictures are rank 0's alone (docs/distributed.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dpzoo import __version__, config_io, registry
from dpzoo.distributed import World, in_process_group
from dpzoo.errors import ConfigError, EvaluationError
from dpzoo.metric import Metric, MetricResult, paper_order
from dpzoo.model import DPVAE

from .context import EvaluationContext, EvaluationData, EvaluationSettings, Progress
from .inception import find_weights
from .pictures import PictureConfig, write_pictures

PICTURES_DIR = "eval"  # beside the card: README.md links eval/*.png


@dataclass(frozen=True)
class EvaluationReport:
    """The results of one evaluation run and what they were computed on."""

    results: tuple[MetricResult, ...]
    dataset: str
    split: str
    data: str  # the dataset's own description of the evaluation examples
    examples: int
    settings: EvaluationSettings
    timings: dict[str, float]  # seconds: per metric, "reference statistics", "pictures"
    reference_cached: bool | None  # None when no metric needed reference statistics
    pictures: dict[str, str] = field(default_factory=dict)  # caption → PNG path
    date: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    dpzoo_version: str = __version__


def build_metrics(names: Sequence[str] | None, overrides: dict[str, dict[str, Any]], is_image: bool) -> dict[str, Metric]:
    """The metric plugins to run, configured; None = every registered metric that fits the data."""
    unknown = set(overrides) - set(names or registry.names("metric"))
    if unknown:
        raise ConfigError(f"settings for metric '{sorted(unknown)[0]}', which is not being run; run it with --metric or drop the setting")
    if names is None:  # all that load, in the paper's order: a broken third-party metric is skipped with a warning
        loaded = registry.loadable("metric")
        classes = {name: loaded[name] for name in sorted(loaded, key=paper_order)}
    else:
        classes = {name: registry.get("metric", name) for name in names}
    metrics: dict[str, Metric] = {}
    for name, cls in classes.items():
        if cls.requires_images and not is_image:
            if names is not None:
                raise EvaluationError(f"{name} needs image data, but this model's dataset yields points; leave it out of --metric")
            continue
        metrics[name] = cls(config_io.from_dict(cls.Config, overrides.get(name), f"metric '{name}'"))
    return metrics


@in_process_group
def evaluate(
    model: DPVAE,
    metrics: Sequence[str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    settings: EvaluationSettings = EvaluationSettings(),
    out_dir: str | Path | None = None,
    pictures: PictureConfig | None = PictureConfig(),
    data: EvaluationData | None = None,
    progress: Progress | None = None,
) -> EvaluationReport:
    """Evaluate `model` on its dataset's held-out split (paper §5.1); pictures go to `out_dir/eval/`.

    Under torchrun, call it in every process; rank 0's report is the whole one.
    """
    world = World.from_environment()
    if world.size > 1 and settings.device == "cuda":
        settings = replace(settings, device=str(world.device))
    model = model.to(settings.device)
    data = data or EvaluationData.of(model, settings.split)
    selected = build_metrics(metrics, overrides or {}, data.is_image)
    if any(m.requires_inception for m in selected.values()):
        find_weights(settings.inception_weights)
    pictures_dir = Path(out_dir) / PICTURES_DIR if out_dir is not None and pictures is not None and world.main else None
    context = EvaluationContext(model, data, settings, progress, pictures_dir)
    timings: dict[str, float] = {}
    results = []
    reference_cached = None
    shared = [name for name, metric in selected.items() if metric.requires_inception]  # these call context.fid
    order = list(selected) if world.size == 1 else shared + ([n for n in selected if n not in shared] if world.main else [])
    for name in order:
        metric = selected[name]
        start = time.perf_counter()
        if metric.requires_inception and "reference statistics" not in timings:
            _, reference_cached = context.reference
            timings["reference statistics"] = time.perf_counter() - start
            start = time.perf_counter()
        before = set(context.pictures)
        scores = metric.compute(context)
        seconds = time.perf_counter() - start
        timings[name] = seconds
        own = {caption: str(path) for caption, path in context.pictures.items() if caption not in before}
        config = config_io.to_dict(metric.config)
        if metric.requires_inception:  # the shared settings that make an FID reproducible
            config |= {"reference_images": context.reference[0].count, "feature_extractor": context.inception.identity}
        results.append(MetricResult(name, tuple(scores), metric.describe(context), config, seconds, own))
    results.sort(key=lambda result: list(selected).index(result.metric))
    written = {caption: str(path) for caption, path in context.pictures.items()}
    if pictures_dir is not None and pictures is not None:
        start = time.perf_counter()
        drawn = write_pictures(context, pictures_dir, pictures)
        if drawn:
            timings["pictures"] = time.perf_counter() - start
        written = {**{caption: str(path) for caption, path in drawn.items()}, **written}
    return EvaluationReport(
        results=tuple(results),
        dataset=data.dataset,
        split=data.split,
        data=data.description,
        examples=len(data.x),
        settings=settings,
        timings=timings,
        reference_cached=reference_cached,
        pictures=written,
    )
