"""Finding pytorch-fid's Inception weights offline, refusing anything else, and its features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import needs_inception, real_inception_weights

from dpzoo.errors import EvaluationError
from dpzoo.evaluate.inception import WEIGHTS_FILE, InceptionFeatures, find_weights


def test_missing_weights_stop_with_one_line_saying_where_to_put_them(no_weights: Path) -> None:
    with pytest.raises(EvaluationError) as error:
        find_weights()
    message = str(error.value)
    assert "\n" not in message
    assert str(no_weights / "torch" / "hub" / "checkpoints") in message
    assert "--inception-weights" in message and "DPZOO_INCEPTION_WEIGHTS" in message


def test_weights_are_looked_up_explicitly_then_in_the_environment_then_in_the_hub_cache(no_weights: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = no_weights / "torch" / "hub" / "checkpoints" / WEIGHTS_FILE
    hub.parent.mkdir(parents=True)
    hub.write_bytes(b"hub")
    assert find_weights() == hub
    env = no_weights / "env.pth"
    env.write_bytes(b"env")
    monkeypatch.setenv("DPZOO_INCEPTION_WEIGHTS", str(env))
    assert find_weights() == env
    explicit = no_weights / "explicit.pth"
    explicit.write_bytes(b"explicit")
    assert find_weights(explicit) == explicit


def test_a_named_file_that_does_not_exist_is_an_error_not_a_fallback(no_weights: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = no_weights / "torch" / "hub" / "checkpoints" / WEIGHTS_FILE
    hub.parent.mkdir(parents=True)
    hub.write_bytes(b"hub")
    with pytest.raises(EvaluationError, match="--inception-weights .*missing.pth is not a file"):
        find_weights(no_weights / "missing.pth")
    monkeypatch.setenv("DPZOO_INCEPTION_WEIGHTS", str(no_weights / "gone.pth"))
    with pytest.raises(EvaluationError, match="DPZOO_INCEPTION_WEIGHTS .*gone.pth is not a file"):
        find_weights()


def test_other_weights_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(3, 3)}, other)
    with pytest.raises(EvaluationError, match="is not the FID Inception network"):
        InceptionFeatures(other)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(EvaluationError, match="is not a PyTorch state dict"):
        InceptionFeatures(garbage)


@needs_inception
def test_features_equal_pytorch_fids_own_pipeline_on_png_files(tmp_path: Path) -> None:
    """Grayscale digits in [0, 1] give the features pytorch-fid computes from the same digits saved as PNG."""
    from PIL import Image
    from pytorch_fid.fid_score import get_activations
    from pytorch_fid.inception import InceptionV3

    from dpzoo.evaluate.inception import _given_state_dict

    weights = real_inception_weights()
    images = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    images = torch.round(images * 255) / 255
    files = []
    for i, image in enumerate(images):
        files.append(tmp_path / f"{i}.png")
        Image.fromarray((image[0] * 255).round().byte().numpy(), mode="L").save(files[-1])
    extractor = InceptionFeatures(weights)
    ours = extractor([images])
    with _given_state_dict(torch.load(weights, weights_only=True)):
        theirs_model = InceptionV3([3]).eval()
    theirs = get_activations([str(f) for f in files], theirs_model, batch_size=2, dims=2048, device="cpu", num_workers=0)
    assert ours.shape == (2, 2048)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    assert np.abs(ours[0] - ours[1]).max() > 1e-3  # different images, different features
    assert extractor.identity.startswith("pytorch-fid-0.3.0-pool3-") and len(extractor.identity.rsplit("-", 1)[1]) == 12
