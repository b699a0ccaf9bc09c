"""Pull and push against a real Hugging Face-compatible server (olah on 127.0.0.1), never a mock.

The library calls take `endpoint` and `cache_dir` as huggingface_hub's own functions do; the CLI tests
(tests/cli/test_hub_cli.py) drive the same code through HF_ENDPOINT / HF_HOME / HF_HUB_OFFLINE.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx2
import pytest
import torch
from huggingface_hub import ModelCard
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError
from safetensors.torch import save_file

from dpzoo import catalog, hub
from dpzoo.card import write_evaluation
from dpzoo.checkpoint import CARD_FILE, CONFIG_FILE, MODEL_FILE, load_model, read_config
from dpzoo.errors import CatalogError, CheckpointError, HubError
from dpzoo.evaluate.runner import evaluate

PUBLISHED = (MODEL_FILE, CONFIG_FILE, CARD_FILE)
REPO = "dpzoo/dpvae-two-moons"


@pytest.fixture(scope="module")
def zoo(hub_server, moons_checkpoint, tmp_path_factory):
    """The moons checkpoint published as REPO (tag v1, then a README edit on main), plus a catalog pinning v1."""
    first = hub_server.commit(REPO, {name: moons_checkpoint / name for name in PUBLISHED}, "weights", tag="v1")
    second = hub_server.commit(REPO, {CARD_FILE: b"---\nlicense: mit\n---\nedited card\n"}, "edit the card")
    root = tmp_path_factory.mktemp("catalog")
    catalog.write_entry(moons_checkpoint, "dpvae-two-moons", REPO, first, root)
    catalog.write_entry(moons_checkpoint, "dpvae-two-moons-next", "dpzoo/dpvae-two-moons-next", None, root)
    return {"v1": first, "main": second, "catalog": root}


@pytest.fixture
def client(hub_server, tmp_path, monkeypatch, zoo):
    """Keyword arguments for a client of the test server with an empty cache of its own."""
    monkeypatch.setenv("DPZOO_CATALOG", str(zoo["catalog"]))
    return {"endpoint": hub_server.endpoint, "cache_dir": tmp_path / "hf-cache"}


def test_pull_by_catalog_name_fetches_the_pinned_commit_byte_for_byte(client, zoo, moons_checkpoint):
    snapshot = hub.pull("dpvae-two-moons", **client)
    assert snapshot.name == zoo["v1"]
    for name in PUBLISHED:
        assert (snapshot / name).read_bytes() == (moons_checkpoint / name).read_bytes()
    pulled, source = load_model(snapshot), load_model(moons_checkpoint)
    z = torch.randn(5, 2)
    assert torch.equal(pulled.decode(z), source.decode(z))


def test_pull_by_tag_sha_and_branch_resolves_each_to_its_commit(client, zoo):
    assert hub.pull(REPO, revision="v1", **client).name == zoo["v1"]
    assert hub.pull(REPO, revision=zoo["v1"], **client).name == zoo["v1"]
    main = hub.pull(REPO, **client)
    assert main.name == zoo["main"]
    assert (main / CARD_FILE).read_text().endswith("edited card\n")


def test_second_pull_of_a_revision_sends_no_request(client, hub_server, zoo):
    for revision in (None, "v1", zoo["v1"]):
        first = hub.pull(REPO, revision=revision, **client)
        before = hub_server.requests()
        assert hub.pull(REPO, revision=revision, **client) == first
        assert hub_server.requests() == before


def test_cached_snapshot_serves_a_pull_when_the_server_is_unreachable(client, zoo):
    first = hub.pull("dpvae-two-moons", **client)
    dead = {**client, "endpoint": "http://127.0.0.1:9"}
    assert hub.pull("dpvae-two-moons", **dead) == first
    with pytest.raises(HubError, match="cannot reach the Hub at http://127.0.0.1:9 and dpzoo/other@main is not cached"):
        hub.pull("dpzoo/other", **dead)


def test_missing_repository_revision_and_files_each_get_their_own_error(client, hub_server, moons_checkpoint):
    with pytest.raises(HubError, match="^repository dpzoo/absent not found at http://127.0.0.1"):
        hub.pull("dpzoo/absent", **client)
    with pytest.raises(HubError, match=r"^revision 'v9' not found in dpzoo/dpvae-two-moons \(branches and tags: main, v1\)"):
        hub.pull(REPO, revision="v9", **client)
    with pytest.raises(HubError, match="^revision '0{40}' not found"):
        hub.pull(REPO, revision="0" * 40, **client)
    hub_server.commit("dpzoo/no-config", {MODEL_FILE: moons_checkpoint / MODEL_FILE})
    with pytest.raises(HubError, match=r"dpzoo/no-config@main has no config.json, so it is not a dpzoo checkpoint \(files: model.safetensors\)"):
        hub.pull("dpzoo/no-config", **client)


def test_repository_of_pickle_weights_is_refused_without_downloading_them(client, hub_server, moons_checkpoint, tmp_path):
    weights = tmp_path / "pytorch_model.bin"
    torch.save(load_model(moons_checkpoint).state_dict(), weights)
    hub_server.commit("dpzoo/pickled", {"pytorch_model.bin": weights, CONFIG_FILE: moons_checkpoint / CONFIG_FILE})
    with pytest.raises(HubError, match=r"holds only pickle weights \(pytorch_model.bin\); dpzoo loads safetensors only"):
        hub.pull("dpzoo/pickled", **client)
    assert not list(Path(client["cache_dir"]).rglob("*.bin"))


def test_truncated_cache_file_is_detected_deleted_and_downloaded_again(client, hub_server, moons_checkpoint):
    snapshot = hub.pull("dpvae-two-moons", **client)
    blob = (snapshot / MODEL_FILE).resolve()
    blob.write_bytes(blob.read_bytes()[: blob.stat().st_size // 2])
    before = hub_server.requests()
    again = hub.pull("dpvae-two-moons", **client)
    assert hub_server.requests() > before
    assert (again / MODEL_FILE).read_bytes() == (moons_checkpoint / MODEL_FILE).read_bytes()


def test_refresh_follows_a_branch_that_moved_while_the_cache_does_not(client, hub_server, moons_checkpoint):
    old = hub_server.commit("dpzoo/moving", {name: moons_checkpoint / name for name in PUBLISHED})
    assert hub.pull("dpzoo/moving", **client).name == old
    new = hub_server.commit("dpzoo/moving", {CARD_FILE: b"new card\n"})
    assert hub.pull("dpzoo/moving", **client).name == old
    assert hub.pull("dpzoo/moving", refresh=True, **client).name == new


def test_unpublished_entry_and_unknown_name_say_what_to_do(client):
    with pytest.raises(HubError, match="'dpvae-two-moons-next' is not published on the Hub yet.*`dpzoo train dpvae-two-moons-next`"):
        hub.pull("dpvae-two-moons-next", **client)
    with pytest.raises(CatalogError, match="no zoo model named 'dpvae-two-moon'; did you mean dpvae-two-moons"):
        hub.pull("dpvae-two-moon", **client)


def test_invalid_repo_id_is_named(client):
    with pytest.raises(HubError, match="'dpzoo/a b' is not a valid Hub repo id"):
        hub.pull("dpzoo/a b", **client)


@pytest.fixture
def run_dir(moons_checkpoint, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(moons_checkpoint, copy)
    return copy


def _evaluate(run_dir: Path) -> None:
    """A real `dpzoo eval` of one cheap metric, written into the run's card."""
    report = evaluate(load_model(run_dir), metrics=["skl"], overrides={"skl": {"samples": 200}}, pictures=None)
    write_evaluation(report, run_dir, run_dir, read_config(run_dir))


def test_push_uploads_weights_config_card_log_and_pictures_but_not_the_trainer_state(run_dir):
    (run_dir / "eval").mkdir()
    (run_dir / "eval" / "samples.png").write_bytes(b"png")
    (run_dir / "pytorch_model.bin").write_bytes(b"pickle")
    assert hub.uploaded_files(run_dir) == [CARD_FILE, CONFIG_FILE, "eval/samples.png", MODEL_FILE, "train_log.jsonl"]


def test_push_accepts_metrics_recorded_for_these_weights_only(run_dir):
    _evaluate(run_dir)
    assert MODEL_FILE in hub.uploaded_files(run_dir)
    save_file({k: v + 1 for k, v in load_model(run_dir).state_dict().items()}, str(run_dir / MODEL_FILE))
    with pytest.raises(CheckpointError, match="skl in .*README.md was measured on other weights than .*model.safetensors; run `dpzoo eval"):
        hub.uploaded_files(run_dir)


def test_push_refuses_metrics_that_name_no_weights(run_dir):
    _evaluate(run_dir)
    card = ModelCard.load(run_dir / CARD_FILE)
    del card.data.dpzoo["evaluation"]["skl"]["weights_sha256"]
    card.save(run_dir / CARD_FILE)
    with pytest.raises(CheckpointError, match="reports skl without the sha256 of the weights it belongs to"):
        hub.uploaded_files(run_dir)


def test_push_refuses_weights_that_do_not_fit_their_config(run_dir):
    (run_dir / MODEL_FILE).write_bytes((run_dir / MODEL_FILE).read_bytes()[:100])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        hub.uploaded_files(run_dir)


def test_push_to_a_server_that_refuses_uploads_names_it(run_dir, hub_server):
    with pytest.raises(HubError, match=f"the server at {hub_server.endpoint} does not accept uploads \\(405\\)"):
        hub.push(run_dir, "dpzoo/new-model", endpoint=hub_server.endpoint)


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (GatedRepoError, 403, "org/gated is gated; accept its conditions at http://hub.invalid/org/gated and set HF_TOKEN"),
        (HfHubHTTPError, 403, "HF_TOKEN may not read org/gated \\(403 from http://hub.invalid\\); use a token with read access"),
        (HfHubHTTPError, 503, "the Hub at http://hub.invalid answered 503 for org/gated@main; try again later"),
    ],
)
def test_access_and_server_errors_are_worded_for_the_user(error, status, message):
    """The test server has no access control, so these answers are huggingface_hub's own error objects."""
    response = httpx2.Response(status, request=httpx2.Request("GET", "http://hub.invalid/api/models/org/gated"))
    explained = hub._explain(error("answer", response=response), hub.Source("org/gated", None), "http://hub.invalid")
    assert re.fullmatch(message + ".*", str(explained))


def test_the_embedded_model_published_as_dpvae_mnist_pulls_with_its_measured_metrics(hub_server, tmp_path, monkeypatch):
    """Issue 7's publishing path: the zoo's MNIST weights + card on a Hub, pinned by a catalog entry, pulled by name."""
    from dpzoo import pretrained

    source = pretrained.EMBEDDED
    sha = hub_server.commit("dpzoo/dpvae-mnist", {name: source / name for name in PUBLISHED}, "publish dpvae-mnist")
    root = tmp_path / "catalog"
    catalog.write_entry(source, "dpvae-mnist", "dpzoo/dpvae-mnist", sha, root)
    monkeypatch.setenv("DPZOO_CATALOG", str(root))
    assert catalog.get("dpvae-mnist").metrics["fid"] > 0  # the card's numbers come from a real dpzoo eval
    snapshot = hub.pull("dpvae-mnist", endpoint=hub_server.endpoint, cache_dir=tmp_path / "hf-cache")
    assert snapshot.name == sha
    pulled, embedded = load_model(snapshot), pretrained.load()
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    assert torch.equal(pulled.sample(8, generator=g()), embedded.sample(8, generator=g()))
