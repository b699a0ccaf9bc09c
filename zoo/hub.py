"""Zoo models on the Hugging Face Hub: `pull` into the standard cache, `push` a checkpoint directory.

huggingface_hub does every transfer, so HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and HF_HOME (HF_HUB_CACHE)
act exactly as they do for any Hugging Face library; the optional `endpoint`/`cache_dir` arguments are
passed through to it, as its own functions take them. A pull the cache can serve sends no request.
A pulled snapshot is checked before anything is built from it: every file against the checksum its
cache blob is named after (git blob sha1, or sha256 for LFS files), so a truncated or corrupted file
is deleted and fetched again; only safetensors weights are accepted (pickle files are never even
downloaded); a catalog name must yield the commit its card pins. Errors are one line: servers that
answer every miss as "repository not found" (401) are asked again to tell a missing repository, revision
and file apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, constants, snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RevisionNotFoundError,
)

from . import catalog
from .checkpoint import CARD_FILE, CONFIG_FILE, MODEL_FILE, STATE_FILE, load_model
from .errors import CheckpointError, HubError

DOWNLOADED = ["*.safetensors", "*.json", "*.jsonl", "*.md", "*.png"]  # a dpzoo repo; pickle is never fetched
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
UPLOADED = (MODEL_FILE, CONFIG_FILE, CARD_FILE, "*.jsonl", "**/*.png")  # trainer_state stays local


@dataclass(frozen=True)
class Source:
    """What to download: a repository, a revision (None: its default branch), the catalog entry if any."""

    repo_id: str
    revision: str | None
    entry: catalog.Entry | None = None

    @property
    def label(self) -> str:
        return f"{self.repo_id}@{self.revision or constants.DEFAULT_REVISION}"


def source(name: str, revision: str | None = None) -> Source:
    """A catalog name (pinned commit unless `revision` is given) or any `org/repo` id."""
    if "/" in name:
        return Source(name, revision)
    entry = catalog.get(name)
    if revision is None and not entry.published:
        raise HubError(f"zoo model '{name}' is not published on the Hub yet, so there are no weights to pull; train it with `dpzoo train {name}`")
    return Source(entry.repo_id, revision or entry.revision, entry)


def cached(src: Source, cache_dir: str | Path | None = None) -> Path | None:
    """The complete cached snapshot of `src`, found without any request; None if there is none."""
    try:
        return Path(snapshot_download(src.repo_id, revision=src.revision, allow_patterns=DOWNLOADED, cache_dir=cache_dir, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError):
        return None


def pull(
    name: str,
    revision: str | None = None,
    refresh: bool = False,
    endpoint: str | None = None,
    cache_dir: str | Path | None = None,
) -> Path:
    """Download `name` (catalog name or repo id) unless cached, check it, and return the snapshot directory.

    `refresh` asks the Hub again where a branch or tag points instead of trusting the cache.
    """
    src = source(name, revision)
    snapshot = cached(src, cache_dir)
    damaged = _discard_damaged(snapshot) if snapshot is not None else []
    if snapshot is None or damaged or refresh:
        try:
            snapshot = _download(src, endpoint, cache_dir)
        except HubError as exc:
            if damaged:
                raise HubError(f"the cached {damaged[0]} of {src.label} was corrupted and has been deleted; {exc}") from None
            raise
        damaged = _discard_damaged(snapshot)
        if damaged:
            raise HubError(
                f"{damaged[0]} of {src.label} does not match its checksum even as downloaded (truncated or corrupted in "
                "transfer); it was deleted from the cache, so pull again"
            )
    _check_files(src, snapshot, endpoint)
    if src.entry is not None and src.revision == src.entry.revision and snapshot.name != src.entry.revision:
        raise HubError(f"{src.label} resolved to commit {snapshot.name}, not the catalog's pinned {src.entry.revision}; clear the cache entry and pull again")
    return snapshot


def _download(src: Source, endpoint: str | None, cache_dir: str | Path | None) -> Path:
    try:
        return Path(snapshot_download(src.repo_id, revision=src.revision, allow_patterns=DOWNLOADED, endpoint=endpoint, cache_dir=cache_dir))
    except HFValidationError as exc:
        raise HubError(f"'{src.repo_id}' is not a valid Hub repo id ({exc}); use org/name, or a catalog name from `dpzoo list`") from None
    except (HfHubHTTPError, LocalEntryNotFoundError) as exc:
        raise _explain(exc, src, endpoint) from None


def _explain(exc: Exception, src: Source, endpoint: str | None) -> HubError:
    """One actionable line for a failed download, asking the server again where its answer is ambiguous."""
    endpoint = endpoint or constants.ENDPOINT
    cause = exc.__cause__ if isinstance(exc, LocalEntryNotFoundError) else exc
    if isinstance(cause, OfflineModeIsEnabled) or (isinstance(exc, LocalEntryNotFoundError) and constants.HF_HUB_OFFLINE):
        return HubError(f"{src.label} is not in the Hugging Face cache and HF_HUB_OFFLINE is set; unset HF_HUB_OFFLINE to download it")
    if isinstance(cause, GatedRepoError):
        return HubError(f"{src.repo_id} is gated; accept its conditions at {endpoint}/{src.repo_id} and set HF_TOKEN to a token of that account")
    if not isinstance(cause, HfHubHTTPError):
        return HubError(f"cannot reach the Hub at {endpoint} and {src.label} is not cached; check the network or HF_ENDPOINT, then pull again")
    if isinstance(cause, RevisionNotFoundError):
        return _revision_missing(src, HfApi(endpoint=endpoint))
    status = cause.response.status_code if cause.response is not None else None
    if status == 403:
        return HubError(f"HF_TOKEN may not read {src.repo_id} (403 from {endpoint}); use a token with read access to it")
    if status in (401, 404):
        return _tell_apart(src, HfApi(endpoint=endpoint), endpoint)
    return HubError(f"the Hub at {endpoint} answered {status} for {src.label}; try again later")


def _tell_apart(src: Source, api: HfApi, endpoint: str) -> HubError:
    """A 401/404 may mean no repository, no such revision, or no such file: ask which."""
    try:
        api.list_repo_refs(src.repo_id)
    except HfHubHTTPError:
        return HubError(
            f"repository {src.repo_id} not found at {endpoint}; check the name (see `dpzoo list`), or if it is private "
            "set HF_TOKEN to a token that can read it"
        )
    try:
        api.list_repo_files(src.repo_id, revision=src.revision)
    except HfHubHTTPError:
        return _revision_missing(src, api)
    return HubError(f"a file listed in {src.label} could not be downloaded from {endpoint}; the repository changed while pulling, pull again")


def _revision_missing(src: Source, api: HfApi) -> HubError:
    try:
        refs = api.list_repo_refs(src.repo_id)
        known = ", ".join([b.name for b in refs.branches] + [t.name for t in refs.tags]) or "none"
    except HfHubHTTPError:
        known = "unknown"
    return HubError(f"revision '{src.revision}' not found in {src.repo_id} (branches and tags: {known}); pass an existing --revision")


def _blob_checksum(path: Path, algorithm: str) -> str:
    data = path.read_bytes()
    if algorithm == "sha256":
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's blob id


def _discard_damaged(snapshot: Path) -> list[str]:
    """Files of a cached snapshot whose content no longer matches their blob's name; they are deleted.

    The Hugging Face cache names each blob by its ETag: the git blob sha1 of a regular file, the sha256
    of an LFS file. Copies made where symlinks are unavailable carry no name to check.
    """
    damaged = []
    for link in sorted(p for p in snapshot.rglob("*") if p.is_symlink()):
        blob = link.resolve()
        etag = blob.name
        algorithm = "sha256" if len(etag) == 64 else "git-sha1" if len(etag) == 40 else None
        if algorithm is None:
            continue
        if not blob.is_file() or _blob_checksum(blob, algorithm) != etag:
            blob.unlink(missing_ok=True)
            link.unlink()
            damaged.append(link.relative_to(snapshot).as_posix())
    return damaged


def _check_files(src: Source, snapshot: Path, endpoint: str | None) -> None:
    """A dpzoo checkpoint: config.json and safetensors weights; a repo of pickle weights is refused."""
    present = {p.name for p in snapshot.iterdir()}
    missing = [f for f in (MODEL_FILE, CONFIG_FILE) if f not in present]
    if not missing:
        return
    try:
        remote = HfApi(endpoint=endpoint).list_repo_files(src.repo_id, revision=snapshot.name)
    except (HfHubHTTPError, OfflineModeIsEnabled):
        remote = sorted(present)
    pickles = [f for f in remote if f.endswith(PICKLE_SUFFIXES)]
    if MODEL_FILE in missing and pickles:
        raise HubError(
            f"{src.label} holds only pickle weights ({pickles[0]}); dpzoo loads safetensors only, since unpickling runs "
            f"arbitrary code: convert them to {MODEL_FILE}"
        )
    listing = ", ".join(remote) or "none"
    raise HubError(f"{src.label} has no {missing[0]}, so it is not a dpzoo checkpoint (files: {listing}); check the repo id and revision")


def weights_sha256(run_dir: str | Path) -> str:
    return hashlib.sha256((Path(run_dir) / MODEL_FILE).read_bytes()).hexdigest()


def check_card_matches_weights(run_dir: str | Path) -> None:
    """Every metric in the card must name, by sha256, the weights it was measured on: these.

    `dpzoo eval` records that sha256 with each metric (`dpzoo.evaluation.<metric>.weights_sha256`).
    """
    run_dir = Path(run_dir)
    path = run_dir / CARD_FILE
    if not path.is_file():
        raise CheckpointError(f"{path} not found; `dpzoo train` writes the model card, `dpzoo eval` adds its metrics")
    card = ModelCard.load(path)
    evaluation = (card.data.to_dict().get("dpzoo") or {}).get("evaluation") or {}
    if card.data.eval_results and not evaluation:
        raise CheckpointError(f"{path} reports metrics without the sha256 of the weights they belong to; run `dpzoo eval {run_dir}` again")
    digest = weights_sha256(run_dir)
    for metric, entry in sorted(evaluation.items()):
        recorded = entry.get("weights_sha256")
        if recorded is None:
            raise CheckpointError(f"{path} reports {metric} without the sha256 of the weights it belongs to; run `dpzoo eval {run_dir}` again")
        if recorded != digest:
            raise CheckpointError(f"{metric} in {path} was measured on other weights than {run_dir / MODEL_FILE}; run `dpzoo eval {run_dir}` again")


def uploaded_files(run_dir: str | Path) -> list[str]:
    """The files `push` uploads, once the checkpoint has proved complete and consistent."""
    run_dir = Path(run_dir)
    load_model(run_dir)  # config.json rebuilds the model and the safetensors weights fit it
    check_card_matches_weights(run_dir)
    files = {p.relative_to(run_dir).as_posix() for pattern in UPLOADED for p in run_dir.glob(pattern) if p.is_file()}
    return sorted(files - {STATE_FILE})


def push(run_dir: str | Path, repo_id: str, private: bool = False, revision: str | None = None, endpoint: str | None = None) -> str:
    """Create `repo_id` if needed and upload the checkpoint with its card; returns the commit's URL."""
    run_dir = Path(run_dir)
    files = uploaded_files(run_dir)
    api = HfApi(endpoint=endpoint)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision is not None:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(
            folder_path=run_dir, repo_id=repo_id, revision=revision, allow_patterns=files,
            commit_message=f"Upload {run_dir.name} with dpzoo",
        )  # fmt: skip
    except HFValidationError as exc:
        raise HubError(f"'{repo_id}' is not a valid Hub repo id ({exc}); use org/name") from None
    except HfHubHTTPError as exc:
        raise _upload_error(exc, repo_id, api.endpoint) from None
    return commit.commit_url


def _upload_error(exc: HfHubHTTPError, repo_id: str, endpoint: str) -> HubError:
    status = exc.response.status_code if exc.response is not None else None
    if status in (401, 403):
        return HubError(f"not allowed to write to {repo_id} at {endpoint} ({status}); set HF_TOKEN to a token with write access")
    if status == 405:
        return HubError(f"the server at {endpoint} does not accept uploads (405); push to the Hugging Face Hub (unset HF_ENDPOINT)")
    return HubError(f"upload of {repo_id} to {endpoint} failed ({status}); try again later")
