"""`dpzoo.load`: one way in for every model — a checkpoint directory, a zoo name, a Hub repo id, or the
embedded default.

The embedded default is a dpVAE trained on real MNIST digits and shipped inside the package, so that
`dpzoo sample` works on a machine without network access; it is the catalog entry `dpvae-mnist`.
Other catalog names and `org/name` repo ids are pulled from the Hugging Face Hub on demand (`dpzoo.hub`).
"""

from __future__ import annotations

from pathlib import Path

from . import checkpoint, hub
from .errors import CheckpointError, HubError
from .model import DPVAE

EMBEDDED = Path(__file__).parent / "embedded" / "dpvae-mnist"
DEFAULT_NAME = "dpvae-mnist"


def resolve(name_or_path: str | Path | None = None) -> Path:
    """The local directory that holds the model's files (pulled into the Hugging Face cache if needed)."""
    if name_or_path is None or str(name_or_path) in ("default", DEFAULT_NAME):
        return EMBEDDED
    path = Path(name_or_path)
    if path.is_dir():
        return path
    name = str(name_or_path)
    if path.exists() or name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise CheckpointError(
            f"no checkpoint directory '{name_or_path}'; pass a directory written by `dpzoo train`, a zoo name, "
            "a Hub repo id, or leave it out for the embedded default"
        )
    try:
        return hub.pull(name)
    except HubError as exc:
        if "/" not in name:
            raise
        raise HubError(f"{exc} (nor is '{name}' a checkpoint directory here)") from None


def load(name_or_path: str | Path | None = None, device: str = "cpu") -> DPVAE:
    """Load a model ready to sample: `dpzoo.load()` gives the embedded default dpVAE,
    `dpzoo.load("factor-dpvae-celeba")` or `dpzoo.load("org/name")` pulls one from the Hub."""
    return checkpoint.load_model(resolve(name_or_path), map_location=device)
