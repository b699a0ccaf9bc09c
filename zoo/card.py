"""Model cards in the Hugging Face format: YAML front matter (the recipe, provenance) and prose.

The card of a checkpoint says what was trained, on which data, for how long; `dpzoo eval` adds the
measured metrics (`model-index`) to the same card.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

from . import atomic
from .checkpoint import CARD_FILE, LOG_FILE

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
