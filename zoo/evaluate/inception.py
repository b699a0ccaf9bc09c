"""FID's feature extractor: pool3 features of pytorch-fid's InceptionV3, with its weights found offline.

pytorch-fid downloads `pt_inception-2015-12-05-6726825d.pth` into the torch hub cache on first use.
Where the internet is closed we look for that file ourselves (an explicit path, then
DPZOO_INCEPTION_WEIGHTS, then the torch hub cache where pytorch-fid would have put it) and hand its
state dict to pytorch-fid's own network, so the architecture, resizing and input scaling are
pytorch-fid's. Any other weights would give numbers that are not FIDs, so none are ever substituted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from dpzoo import constants
from dpzoo.errors import EvaluationError

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"  # pytorch-fid's FID_WEIGHTS_URL file name
FEATURE_DIM = 2048  # pool3
BATCH_SIZE = 50  # pytorch-fid's default

Progress = Callable[[int], None]


def hub_weights_path() -> Path:
    """Where pytorch-fid's download lands: `$TORCH_HOME/hub/checkpoints/` (torch.hub's rule)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def find_weights(explicit: str | Path | None = None) -> Path:
    """The Inception weights file: `explicit`, else DPZOO_INCEPTION_WEIGHTS, else the torch hub cache."""
    for path, source in ((explicit, "--inception-weights"), (constants.inception_weights(), "DPZOO_INCEPTION_WEIGHTS")):
        if path is not None:
            if not Path(path).is_file():
                raise EvaluationError(f"{source} {path} is not a file; point it at pytorch-fid's {WEIGHTS_FILE}")
            return Path(path)
    cached = hub_weights_path()
    if cached.is_file():
        return cached
    raise EvaluationError(
        f"FID needs pytorch-fid's Inception weights {WEIGHTS_FILE}, which cannot be downloaded here; "
        f"put the file in {cached.parent}/, set DPZOO_INCEPTION_WEIGHTS, or pass --inception-weights PATH"
    )


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _given_state_dict(state: dict[str, Tensor]) -> Iterator[None]:
    """pytorch-fid offers no way to pass weights; give it the state dict its downloader would return."""
    import pytorch_fid.inception as module

    download = module.load_state_dict_from_url
    module.load_state_dict_from_url = lambda *args, **kwargs: state
    try:
        yield
    finally:
        module.load_state_dict_from_url = download


class InceptionFeatures:
    """Images in [0, 1] → pool3 features, as `python -m pytorch_fid` computes them from PNG files."""

    def __init__(self, weights: str | Path | None = None, device: str | torch.device = "cpu", batch_size: int = BATCH_SIZE):
        from pytorch_fid.inception import InceptionV3

        self.weights = find_weights(weights)
        try:
            state = torch.load(self.weights, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises several types for a file that is not a state dict
            raise EvaluationError(f"{self.weights} is not a PyTorch state dict ({type(exc).__name__}); use pytorch-fid's {WEIGHTS_FILE}") from None
        try:
            with _given_state_dict(state):
                network = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[FEATURE_DIM]])
        except (RuntimeError, AttributeError, TypeError) as exc:
            first = str(exc).splitlines()[0]
            raise EvaluationError(f"{self.weights} is not the FID Inception network ({first}); use pytorch-fid's {WEIGHTS_FILE}") from None
        self.network = network.to(device, memory_format=torch.channels_last).eval()  # 1.6× faster on CPU, same features to 1e-5
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.identity = f"pytorch-fid-{version('pytorch-fid')}-pool3-{file_digest(self.weights)[:12]}"

    @torch.no_grad()
    def __call__(self, batches: Iterable[Tensor], progress: Progress | None = None) -> np.ndarray:
        """Features (n, 2048) in float64 of image batches (b, C, H, W), C = 1 (repeated to RGB) or 3."""
        features = []
        done = 0
        for batch in batches:
            for chunk in batch.split(self.batch_size):
                if chunk.dim() != 4 or chunk.shape[1] not in (1, 3):
                    raise EvaluationError(f"FID needs images shaped (N, 1 or 3, H, W), got {tuple(chunk.shape)}")
                chunk = chunk.to(self.device, torch.float32)
                if chunk.shape[1] == 1:
                    chunk = chunk.expand(-1, 3, -1, -1)
                chunk = chunk.contiguous(memory_format=torch.channels_last)
                features.append(self.network(chunk)[0].flatten(1).double().cpu().numpy())
                done += len(chunk)
                if progress is not None:
                    progress(done)
        if not features:
            raise EvaluationError("FID needs at least two images, got none")
        return np.concatenate(features)
