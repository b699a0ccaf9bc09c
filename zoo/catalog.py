"""The zoo's catalog: one Hugging Face model card per entry, shipped as the package `dpzoo.cards`.

A catalog card is the README.md of the entry's Hub repository, plus where that repository is (repo id
and the pinned commit that `dpzoo pull NAME` fetches). Its front matter holds the full recipe, so the
catalog doubles as the list of recipes: `dpzoo train NAME` trains exactly the card's config. Metrics
appear only once `dpzoo eval` measured them (the card's `model-index`); an entry whose weights are not
on the Hub says `published: false`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huggingface_hub import ModelCard

from . import atomic, constants
from .errors import CatalogError

if TYPE_CHECKING:
    from .recipe import Recipe

CARD_FILE = "README.md"
ORGANIZATION = "dpzoo"  # the Hub organization that hosts the published entries
COMMIT = re.compile(r"[0-9a-f]{40}")
NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
UNPUBLISHED = (
    "**Not published on the Hub yet:** `dpzoo pull` cannot fetch these weights; the recipe in this "
    "card's front matter trains them again with `dpzoo train {name}`."
)


def entry_name(regularizer: str, prior: str, dataset: str) -> str:
    """`{regularizer}-{vae|dpvae}-{dataset}`; the plain ELBO is written `vae-mnist` / `dpvae-mnist`."""
    kind = "dpvae" if prior == "decoupled" else "vae"
    return f"{kind}-{dataset}" if regularizer == "vae" else f"{regularizer}-{kind}-{dataset}"


@dataclass(frozen=True)
class Entry:
    """One zoo model as its card describes it."""

    name: str
    repo_id: str
    revision: str | None  # the commit `dpzoo pull NAME` fetches; None while unpublished
    published: bool
    recipe: dict[str, Any]  # dataset / model / training sections, as in a checkpoint's config.json
    metrics: dict[str, float]  # metric type → value, from the card's model-index (`dpzoo eval`)
    card: Path

    @property
    def dataset(self) -> str:
        return self.recipe["dataset"]["name"]

    @property
    def regularizer(self) -> str:
        return self.recipe["model"]["regularizer"]["name"]

    @property
    def prior(self) -> str:
        return self.recipe["model"]["prior"]["name"]

    def to_recipe(self) -> Recipe:
        from .recipe import Recipe

        return Recipe.from_dict(self.recipe)


def directory() -> Path:
    """Where the catalog cards are: $DPZOO_CATALOG, or the cards shipped with dpzoo."""
    return constants.catalog_dir() or Path(str(resources.files("dpzoo.cards")))


def _metrics(card: ModelCard) -> dict[str, float]:
    results = card.data.eval_results or []
    return {result.metric_type: float(result.metric_value) for result in results}


def read_entry(card_path: Path) -> Entry:
    """Parse one catalog card; a card that lacks what `pull` and `train` need is named with the fix."""
    name = card_path.parent.name
    try:
        card = ModelCard.load(card_path)
    except (ValueError, OSError) as exc:
        raise CatalogError(f"catalog card {card_path} cannot be read ({exc}); regenerate it with `python -m dpzoo.cards.generate`") from None
    zoo = card.data.to_dict().get("dpzoo") or {}
    missing = [key for key in ("name", "repo_id", "revision", "published", "recipe") if key not in zoo]
    if missing:
        raise CatalogError(f"catalog card {card_path} lacks dpzoo.{missing[0]} in its front matter; regenerate it with `python -m dpzoo.cards.generate`")
    if zoo["name"] != name:
        raise CatalogError(f"catalog card {card_path} is named '{zoo['name']}' but sits in folder '{name}'; rename one of them")
    revision = zoo["revision"]
    if zoo["published"] and not (isinstance(revision, str) and COMMIT.fullmatch(revision)):
        raise CatalogError(f"catalog card {card_path} is published but pins revision {revision!r}; pin the full 40-character commit sha")
    return Entry(
        name=name,
        repo_id=zoo["repo_id"],
        revision=revision,
        published=bool(zoo["published"]),
        recipe=zoo["recipe"],
        metrics=_metrics(card),
        card=card_path,
    )


def entries(root: Path | None = None) -> dict[str, Entry]:
    """Every catalog entry by name, in name order."""
    root = root or directory()
    cards = sorted(root.glob(f"*/{CARD_FILE}"))
    return {entry.name: entry for entry in map(read_entry, cards)}


def get(name: str, root: Path | None = None) -> Entry:
    """The entry called `name`; an unknown name gets the closest catalog names."""
    root = root or directory()
    card = root / name / CARD_FILE
    if NAME.fullmatch(name) and card.is_file():
        return read_entry(card)
    names = [path.parent.name for path in root.glob(f"*/{CARD_FILE}")]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else "see `dpzoo list`"
    raise CatalogError(f"no zoo model named '{name}'; {hint} (or pass a Hub repo id such as org/name, or a checkpoint directory)")


def write_entry(
    run_dir: str | Path, name: str, repo_id: str, revision: str | None, root: Path | None = None, notice: str = UNPUBLISHED
) -> Path:
    """Record a checkpoint as catalog entry `name`: its model card plus where it lives on the Hub.

    `revision` is the commit `dpzoo push` created (the entry is then published), or None while the
    weights are not on the Hub; the card then says so in its first line (`notice`).
    """
    from .checkpoint import read_config

    run_dir = Path(run_dir)
    config = read_config(run_dir)
    card = ModelCard.load(run_dir / CARD_FILE)
    recipe = {key: config[key] for key in ("dataset", "model", "training")}
    zoo = card.data.to_dict().get("dpzoo") or {}
    card.data.dpzoo = {**zoo, "name": name, "repo_id": repo_id, "revision": revision, "published": revision is not None, "recipe": recipe}
    text = card.text if revision is not None else f"\n{notice.format(name=name)}\n{card.text}"
    path = (root or directory()) / name / CARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, f"---\n{card.data.to_yaml()}\n---\n{text}")
    read_entry(path)
    return path
