"""The catalog: the shipped cards, reading and writing entries, and the card generator."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from huggingface_hub import EvalResult, ModelCard

from dpzoo import catalog
from dpzoo.cards import generate
from dpzoo.checkpoint import CARD_FILE, read_config
from dpzoo.errors import CatalogError
from dpzoo.model import DPVAE
from dpzoo.recipe import Recipe

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_shipped_catalog_has_every_regularizer_prior_and_dataset():
    entries = catalog.entries()
    expected = {
        catalog.entry_name(regularizer, prior, dataset)
        for regularizer in ("vae", "beta-h", "beta-b", "beta-tc", "factor", "info")
        for prior in ("gaussian", "decoupled")
        for dataset in ("mnist", "svhn", "celeba")
    }
    assert expected <= set(entries)
    assert {"vae-mnist", "dpvae-mnist", "factor-dpvae-celeba", "beta-h-vae-svhn"} <= set(entries)


def test_each_shipped_entry_is_named_for_its_recipe_and_pins_a_commit_once_published():
    for name, entry in catalog.entries().items():
        assert name == catalog.entry_name(entry.regularizer, entry.prior, entry.dataset)
        assert entry.repo_id == f"dpzoo/{name}"
        assert entry.to_recipe().to_dict() == entry.recipe  # the card holds a complete, loss-free recipe
        if entry.published:
            assert catalog.COMMIT.fullmatch(entry.revision)
        else:
            assert entry.revision is None
            assert "Not published" in entry.card.read_text()


@pytest.mark.parametrize("name", ["factor-dpvae-celeba", "beta-tc-vae-svhn", "info-dpvae-mnist"])
def test_entry_recipe_builds_the_model_for_its_dataset(name):
    entry = catalog.get(name)
    model = DPVAE.from_config(entry.to_recipe().model)
    shapes = {"mnist": (1, 28, 28), "svhn": (3, 32, 32), "celeba": (3, 64, 64)}
    assert model.data_shape == shapes[entry.dataset]
    assert type(model.regularizer).__module__.endswith(entry.regularizer.replace("-", "_"))


def test_recipe_without_data_equals_recipe_create_where_the_data_is_here():
    training = {"steps": 7, "batch_size": 100, "save_every": 7}
    counted = Recipe.create("mnist", "decoupled", "beta-tc", None, 16, {"training": training})
    given = generate.recipe_without_data("beta-tc", "decoupled", "mnist", 16, training, counted.model.dataset_size)
    assert given == counted
    other = generate.recipe_without_data("beta-tc", "decoupled", "mnist", 16, training, 60_000)
    assert dataclasses.replace(other.model, dataset_size=counted.model.dataset_size) == counted.model


def test_unknown_name_gets_the_closest_catalog_names():
    with pytest.raises(CatalogError, match="no zoo model named 'factor-dpvae-celba'; did you mean factor-dpvae-celeba"):
        catalog.get("factor-dpvae-celba")
    with pytest.raises(CatalogError, match="no zoo model named '..'; see `dpzoo list`"):
        catalog.get("..")


def test_write_entry_records_a_checkpoint_with_its_repo_commit_and_metrics(moons_checkpoint, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(moons_checkpoint, run)
    card = ModelCard.load(run / CARD_FILE)
    card.data.model_name = "run"
    card.data.eval_results = [EvalResult(task_type="unconditional-image-generation", dataset_type="two-moons", dataset_name="two-moons", metric_type="skl", metric_value=0.25)]
    card.save(run / CARD_FILE)

    path = catalog.write_entry(run, "dpvae-two-moons", "someone/moons", SHA, tmp_path / "catalog")
    entry = catalog.get("dpvae-two-moons", tmp_path / "catalog")
    config = read_config(run)
    assert (entry.repo_id, entry.revision, entry.published, entry.card) == ("someone/moons", SHA, True, path)
    assert entry.recipe == {key: config[key] for key in ("dataset", "model", "training")}
    assert entry.metrics == {"skl": 0.25}
    assert "Not published" not in path.read_text()

    catalog.write_entry(run, "dpvae-two-moons-next", "someone/other", None, tmp_path / "catalog")
    unpublished = catalog.get("dpvae-two-moons-next", tmp_path / "catalog")
    assert (unpublished.published, unpublished.revision) == (False, None)
    assert "`dpzoo train dpvae-two-moons-next`" in unpublished.card.read_text()


def _card(root: Path, folder: str, **changes) -> None:
    zoo = {"name": folder, "repo_id": f"dpzoo/{folder}", "revision": None, "published": False, "recipe": {}, **changes}
    (root / folder).mkdir(parents=True)
    front = yaml.safe_dump({"dpzoo": {key: value for key, value in zoo.items() if value is not ...}})
    (root / folder / CARD_FILE).write_text(f"---\n{front}---\ntext\n")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "other"}, "is named 'other' but sits in folder 'bad'"),
        ({"recipe": ...}, "lacks dpzoo.recipe"),
        ({"published": True, "revision": "v1"}, "is published but pins revision 'v1'; pin the full 40-character commit sha"),
    ],
)
def test_malformed_card_is_named_with_the_fix(tmp_path, fields, message):
    _card(tmp_path, "bad", **fields)
    with pytest.raises(CatalogError, match=message):
        catalog.entries(tmp_path)


def test_generator_writes_recipes_from_plugin_defaults_and_keeps_published_cards(tmp_path, moons_checkpoint):
    published = catalog.write_entry(moons_checkpoint, "vae-two-moons", "dpzoo/vae-two-moons", SHA, tmp_path)
    before = published.read_bytes()
    written, skipped = generate.generate(tmp_path, ["vae-two-moons", "dpvae-two-moons"])
    assert written == ["dpvae-two-moons"]
    assert skipped == ["vae-two-moons: published, kept as it is on the Hub"]
    assert published.read_bytes() == before
    entry = catalog.get("dpvae-two-moons", tmp_path)
    expected = Recipe.create("two-moons", "decoupled", "vae", None, 2, {"training": {"steps": 10_000, "batch_size": 100, "save_every": 1000}})
    assert entry.to_recipe() == expected
    assert not entry.published and entry.metrics == {}
