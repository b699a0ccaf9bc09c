"""Write the catalog cards: `python -m dpzoo.cards.generate` (re-run it when a plugin's defaults change).

Every recipe is built by `Recipe.create` from the plugins' own defaults (the paper's hyperparameters),
so the entries stay consistent with one another and with `dpzoo train --dataset ... --regularizer ...`.
Training budgets are the paper's (section 5, authors' configs). Cards of published entries are left
alone: they are the READMEs of repositories on the Hub and carry measured metrics. The embedded default
model is the entry `dpvae-mnist`, so its card describes those weights (their recipe and, once
`dpzoo eval` ran, their metrics) rather than a plan.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huggingface_hub import ModelCard, ModelCardData

from dpzoo import atomic, catalog
from dpzoo.errors import DataError, DpzooError

if TYPE_CHECKING:
    from dpzoo.recipe import Recipe

REGULARIZERS = ("vae", "beta-h", "beta-b", "beta-tc", "factor", "info")
PRIORS = ("gaussian", "decoupled")
IMAGE_DATASETS = ("mnist", "svhn", "celeba")
BATCH_SIZE = {"mnist": 100, "svhn": 50, "celeba": 50, "two-moons": 100}  # authors' configs
STEPS = {"beta-tc": 200_000}  # authors' configs; every other regularizer: 100,000 iterations
PAPER_STEPS = 100_000
OFFICIAL_TRAIN_SIZE = {"svhn": 73_257, "celeba": 162_770}  # SVHN train_32x32.mat; CelebA list_eval_partition train
MOONS_STEPS = 10_000  # a 2-D toy converges long before the image budget

EMBEDDED_NOTICE = (
    "**Not published on the Hub yet:** these weights ship inside dpzoo as its embedded default, so "
    "`dpzoo.load()` and `dpzoo sample` use them without any download."
)

TEMPLATE = """---
{{ card_data }}
---

# {{ name }}

**Not published yet: there are no weights for this entry on the Hub, and no measured metrics.**
The recipe in this card's front matter is complete, so you can train and evaluate it yourself:

```bash
dpzoo train {{ name }} --out runs/{{ name }}
dpzoo eval runs/{{ name }}
```

A {{ kind }} from [dpzoo](https://pypi.org/project/dpzoo/): {{ regularizer }} regularizer, {{ prior }} prior,
`{{ architecture }}` architecture, latent dimension {{ latent_dim }}; its recipe trains on {{ dataset }} for
{{ steps }} steps of batch {{ batch_size }} (the paper's budget). Once published it will live at
`{{ repo_id }}` and `dpzoo pull {{ name }}` will fetch it.
"""


def combinations() -> list[tuple[str, str, str]]:
    """(regularizer, prior, dataset) of every catalog entry: all images, and the plain ELBO on two moons."""
    images = [(reg, prior, data) for data in IMAGE_DATASETS for reg in REGULARIZERS for prior in PRIORS]
    return images + [("vae", prior, "two-moons") for prior in PRIORS]


def recipe_without_data(regularizer: str, prior: str, dataset: str, latent_dim: int, training: dict[str, Any], dataset_size: int) -> Recipe:
    """What `Recipe.create` builds, for a dataset whose files are not on this machine.

    The same plugin defaults, filled the same way; only N, the train-split size that β-TCVAE's
    minibatch weighting needs, is given rather than counted.
    """
    from dpzoo import config_io
    from dpzoo.likelihood import LikelihoodConfig
    from dpzoo.model import ModelConfig, PluginSpec, filled
    from dpzoo.recipe import Recipe, load_dataset
    from dpzoo.train_config import TrainConfig

    data_spec = filled("dataset", PluginSpec(dataset))
    data = load_dataset(data_spec)
    model = ModelConfig(
        architecture=filled("architecture", PluginSpec(data.default_architecture, {"in_channels": data.data_shape[0]})),
        prior=filled("prior", PluginSpec(prior)),
        regularizer=filled("regularizer", PluginSpec(regularizer)),
        latent_dim=latent_dim,
        likelihood=config_io.from_dict(LikelihoodConfig, data.default_likelihood, "likelihood"),
        dataset_size=dataset_size,
    )
    return Recipe(data_spec, model, config_io.from_dict(TrainConfig, training, "training"))


def planned_recipe(regularizer: str, prior: str, dataset: str) -> dict[str, Any]:
    """The paper's setting of one entry, from the plugins' defaults (counted N where the data is here)."""
    from dpzoo.recipe import Recipe

    moons = dataset == "two-moons"
    latent_dim = 2 if moons else 16
    training = {
        "steps": MOONS_STEPS if moons else STEPS.get(regularizer, PAPER_STEPS),
        "batch_size": BATCH_SIZE[dataset],
        "save_every": 1000 if moons else 5000,
    }
    try:
        return Recipe.create(dataset, prior, regularizer, None, latent_dim, {"training": training}).to_dict()
    except DataError:
        if dataset not in OFFICIAL_TRAIN_SIZE:
            raise
        return recipe_without_data(regularizer, prior, dataset, latent_dim, training, OFFICIAL_TRAIN_SIZE[dataset]).to_dict()


def card_data(name: str, recipe: dict[str, Any], **zoo: Any) -> ModelCardData:
    model = recipe["model"]
    return ModelCardData(
        library_name="dpzoo",
        license="mit",
        tags=["dpzoo", "vae", model["prior"]["name"], model["regularizer"]["name"]],
        datasets=[recipe["dataset"]["name"]],
        pipeline_tag="unconditional-image-generation",
        dpzoo={"name": name, "repo_id": f"{catalog.ORGANIZATION}/{name}", "revision": None, "published": False, "recipe": recipe, **zoo},
    )


def planned_card(name: str, recipe: dict[str, Any]) -> ModelCard:
    model, training = recipe["model"], recipe["training"]
    prior = model["prior"]["name"]
    return ModelCard.from_template(
        card_data(name, recipe),
        template_str=TEMPLATE,
        name=name,
        kind="dpVAE (decoupled prior)" if prior == "decoupled" else f"VAE ({prior} prior)",
        regularizer=model["regularizer"]["name"],
        prior=prior,
        architecture=model["architecture"]["name"],
        latent_dim=model["latent_dim"],
        dataset=recipe["dataset"]["name"],
        steps=f"{training['steps']:,}",
        batch_size=training["batch_size"],
        repo_id=f"{catalog.ORGANIZATION}/{name}",
    )


def generate(root: Path, names: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Write every card it can (or those in `names`); returns (written, 'name: reason' for the others)."""
    from dpzoo.pretrained import DEFAULT_NAME, EMBEDDED

    written, skipped = [], []
    for regularizer, prior, dataset in combinations():
        name = catalog.entry_name(regularizer, prior, dataset)
        if names and name not in names:
            continue
        path = root / name / catalog.CARD_FILE
        if path.is_file() and catalog.read_entry(path).published:
            skipped.append(f"{name}: published, kept as it is on the Hub")
            continue
        try:
            if name == DEFAULT_NAME and (EMBEDDED / catalog.CARD_FILE).is_file():
                catalog.write_entry(EMBEDDED, name, f"{catalog.ORGANIZATION}/{name}", None, root, EMBEDDED_NOTICE)
            else:
                card = planned_card(name, planned_recipe(regularizer, prior, dataset))
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic.write_text(path, str(card))
        except DpzooError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        written.append(name)
    return written, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="entries to (re)write; default: all")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="catalog directory (default: the shipped one)")
    args = parser.parse_args(argv)
    written, skipped = generate(args.out, args.names)
    print(f"wrote {len(written)} cards to {args.out}")
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
