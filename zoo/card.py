"""Model cards in the Hugging Face format: YAML front matter (the recipe, provenance) and prose.

The card of a checkpoint says what was trained, on which data, for how long; `dpzoo eval` adds the
measured metrics (`model-index`) to the same card.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from . import atomic
from .checkpoint import CARD_FILE, LOG_FILE, MODEL_FILE
from .metric import paper_order

TEMPLATE = """---
{{ card_data }}
---

# {{ title }}

A {{ kind }} from [dpzoo](https://pypi.org/project/dpzoo/): {{ regularizer }} regularizer, {{ prior }} prior,
`{{ architecture }}` architecture, latent dimension {{ latent_dim }}.

- **Training data:** {{ data }}
- **Budget:** {{ steps }} steps of batch {{ batch_size }} (Adam, lr {{ lr }}), seed {{ seed }}{{ duration }}
- **Final training terms:** {{ final_terms }}

```python
import dpzoo
model = dpzoo.load("{{ load_name }}")
images = model.sample(64)
```

{{ evaluation }}
"""


def _kind(prior: str) -> str:
    return "dpVAE (decoupled prior)" if prior == "decoupled" else f"VAE ({prior} prior)"


def _last_log_entry(directory: Path) -> dict[str, Any]:
    path = directory / LOG_FILE
    if not path.exists():
        return {}
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else {}


def card_data(config: dict[str, Any], trained_steps: int, **extra: Any) -> ModelCardData:
    model = config["model"]
    dataset = config.get("dataset", {}).get("name", "unknown")
    return ModelCardData(
        library_name="dpzoo",
        license="mit",
        tags=["dpzoo", "vae", model["prior"]["name"], model["regularizer"]["name"]],
        datasets=[dataset],
        pipeline_tag="unconditional-image-generation",
        dpzoo={"recipe": {k: config[k] for k in ("dataset", "model", "training") if k in config}, "trained_steps": trained_steps, "data": config.get("data")},
        **extra,
    )


def render(config: dict[str, Any], trained_steps: int, directory: Path, evaluation: str = "", load_name: str | None = None, **extra: Any) -> ModelCard:
    model, training = config["model"], config.get("training", {})
    last = _last_log_entry(directory)
    terms = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k not in ("step", "seconds")) or "n/a"
    seconds = last.get("seconds")
    return ModelCard.from_template(
        card_data(config, trained_steps, **extra),
        template_str=TEMPLATE,
        title=directory.name if directory.name else "dpzoo model",
        kind=_kind(model["prior"]["name"]),
        regularizer=model["regularizer"]["name"],
        prior=model["prior"]["name"],
        architecture=model["architecture"]["name"],
        latent_dim=model["latent_dim"],
        data=config.get("data", "not recorded"),
        steps=f"{trained_steps:,}",
        batch_size=training.get("batch_size", "?"),
        lr=training.get("lr", "?"),
        seed=training.get("seed", "?"),
        duration=f", {seconds / 60:.1f} min on the trainer's machine ({date.today().isoformat()})" if seconds else "",
        final_terms=terms,
        load_name=load_name or str(directory),
        evaluation=evaluation or "Not evaluated yet: run `dpzoo eval` on this checkpoint.",
    )


def write_training_card(directory: str | Path, config: dict[str, Any], trained_steps: int) -> None:
    directory = Path(directory)
    atomic.write_text(directory / CARD_FILE, str(render(config, trained_steps, directory)))


EVALUATION_START = "<!-- dpzoo:evaluation -->"
EVALUATION_END = "<!-- /dpzoo:evaluation -->"
NOT_EVALUATED = "Not evaluated yet: run `dpzoo eval` on this checkpoint."


def _significant(value: float) -> float:
    return float(f"{value:.6g}")


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _entry(result: Any, report: Any) -> dict[str, Any]:
    """One metric's record in the card's `dpzoo.evaluation`: its scores and all that produced them."""
    return {
        "scores": [{"key": s.key, "label": s.label, "value": None if s.value is None else _significant(s.value)} for s in result.scores],
        "description": result.description,
        "settings": result.settings,
        "seconds": round(result.seconds, 1),
        "seed": report.settings.seed,
        "dataset": report.dataset,
        "split": report.split,
        "data": report.data,
        "examples": report.examples,
        "date": report.date,
        "dpzoo_version": report.dpzoo_version,
    }


def eval_results(evaluation: dict[str, dict[str, Any]], task: str) -> list[EvalResult]:
    """`model-index` entries: one per defined score, each with its dataset, split, settings, seed and version."""
    out = []
    for metric, entry in evaluation.items():
        for score in entry["scores"]:
            if score["value"] is None:
                continue
            out.append(
                EvalResult(
                    task_type=task,
                    dataset_type=entry["dataset"],
                    dataset_name=entry["data"],
                    dataset_split=entry["split"],
                    dataset_args={"examples": entry["examples"]},
                    metric_type=score["key"],
                    metric_name=score["label"],
                    metric_value=score["value"],
                    metric_config=metric,
                    metric_args={**entry["settings"], "seed": entry["seed"], "dpzoo_version": entry["dpzoo_version"], "date": entry["date"]},
                )
            )
    return out


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|")


def evaluation_markdown(evaluation: dict[str, dict[str, Any]], pictures: dict[str, str]) -> str:
    """The card's evaluation section: a table of every score and the pictures, between markers."""
    lines = [EVALUATION_START, "## Evaluation", ""]
    if evaluation:
        datasets = sorted({entry["data"] for entry in evaluation.values()})
        lines += [
            "Measured with `dpzoo eval` (paper §5.1) on held-out data: " + "; ".join(datasets) + ".",
            "Each metric keeps the settings it was last run with"
            + ("; FID falls as sample counts grow, so compare FIDs computed with the same counts." if any(m.startswith("fid") for m in evaluation) else "."),
            "",
            "| Metric | Value | Computed on | Seed | Date | Time |",
            "|---|---|---|---|---|---|",
        ]
        for entry in evaluation.values():
            for i, score in enumerate(entry["scores"]):
                value = "n/a" if score["value"] is None else f"{score['value']:.4g}"
                details = (entry["description"], entry["seed"], entry["date"], _duration(entry["seconds"])) if i == 0 else ("",) * 4
                lines.append("| " + " | ".join(_cell(c) for c in (score["label"], value, *details)) + " |")
        lines.append("")
    for path, caption in pictures.items():
        lines += [f"**{caption}**", "", f"![{caption}]({path})", ""]
    lines.append(EVALUATION_END)
    return "\n".join(lines)


def _with_section(text: str, section: str) -> str:
    if EVALUATION_START in text and EVALUATION_END in text:
        head, rest = text.split(EVALUATION_START, 1)
        return head + section + rest.split(EVALUATION_END, 1)[1]
    if NOT_EVALUATED in text:
        return text.replace(NOT_EVALUATED, section, 1)
    return text.rstrip("\n") + "\n\n" + section + "\n"


def record_evaluation(card: ModelCard, report: Any, card_directory: Path, weights_sha256: str | None = None) -> ModelCard:
    """`card` with the report's metrics merged in: a metric run again replaces its old numbers, others stay.

    Each metric records the sha256 of the weights it was measured on, so that `dpzoo push` can refuse
    a card whose numbers belong to other weights.
    """
    extra = dict(getattr(card.data, "dpzoo", None) or {})
    evaluation = dict(extra.get("evaluation") or {})
    for result in report.results:
        evaluation[result.metric] = {**_entry(result, report), **({"weights_sha256": weights_sha256} if weights_sha256 else {})}
    pictures = dict(extra.get("evaluation_pictures") or {})
    for caption, path in report.pictures.items():
        relative = Path(path).resolve().relative_to(card_directory.resolve()).as_posix()
        pictures[relative] = caption
    evaluation = {name: evaluation[name] for name in sorted(evaluation, key=paper_order)}
    extra["evaluation"], extra["evaluation_pictures"] = evaluation, pictures
    card.data.dpzoo = extra
    task = getattr(card.data, "pipeline_tag", None) or "unconditional-image-generation"
    title = next((line[2:].strip() for line in card.text.splitlines() if line.startswith("# ")), card_directory.resolve().name)
    card.data.model_name = card.data.model_name or title
    card.data.eval_results = eval_results(evaluation, task) or None
    card.text = _with_section(card.text, evaluation_markdown(evaluation, pictures))
    return card


def write_evaluation(report: Any, out_dir: str | Path, source: str | Path, config: dict[str, Any]) -> Path:
    """Write `out_dir/README.md`: the card found there (a rerun), else the checkpoint's, with the report merged in."""
    out_dir, source = Path(out_dir), Path(source)
    for candidate in (out_dir / CARD_FILE, source / CARD_FILE):
        if candidate.is_file():
            card = ModelCard.load(candidate)
            break
    else:
        card = render(config, int(config.get("training", {}).get("steps", 0)), source)
    weights = hashlib.sha256((source / MODEL_FILE).read_bytes()).hexdigest()
    record_evaluation(card, report, out_dir, weights_sha256=weights)
    atomic.write_text(out_dir / CARD_FILE, str(card))
    return out_dir / CARD_FILE
