"""SVHN and CelebA: without their files (no network here) a one-line DataError says where and how."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dpzoo import registry
from dpzoo.errors import DataError
from dpzoo.plugins.datasets.celeba import CelebA, CelebAConfig
from dpzoo.plugins.datasets.svhn import SVHN, ScaledImages, SVHNConfig
from dpzoo.recipe import Recipe


@pytest.mark.parametrize("split", ["train", "test"])
def test_missing_svhn_files_name_the_folder_and_the_source(tmp_path: Path, split: str) -> None:
    root = tmp_path / "svhn"
    with pytest.raises(DataError) as info:
        SVHN(SVHNConfig(root=str(root))).load(split)
    message = str(info.value)
    assert "\n" not in message and str(root) in message
    assert f"{split}_32x32.mat" in message and "ufldl.stanford.edu/housenumbers" in message
    assert "dataset.download=true" in message


def test_missing_celeba_files_name_the_folder_and_the_files(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        CelebA(CelebAConfig(root=str(tmp_path))).load("train")
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "celeba") in message
    assert "img_align_celeba" in message and "list_eval_partition.txt" in message


def test_default_roots_follow_dpzoo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DPZOO_DATA", str(tmp_path))
    assert SVHN(SVHNConfig()).root == tmp_path / "svhn"
    assert CelebA(CelebAConfig()).root == tmp_path
    with pytest.raises(DataError, match=str(tmp_path / "svhn")):
        Recipe.create("svhn", "decoupled", "vae")  # what `dpzoo train --dataset svhn` runs first


def test_registered_with_the_authors_architectures() -> None:
    for name, arch, shape in (("svhn", "conv32", (3, 32, 32)), ("celeba", "conv64", (3, 64, 64))):
        cls = registry.get("dataset", name)
        assert cls.default_architecture == arch and cls.data_shape == shape
        arch_cls = registry.get("architecture", arch)
        assert arch_cls(2, arch_cls.Config()).data_shape == shape


def test_svhn_images_are_kept_as_bytes_and_scaled_per_item() -> None:
    images = torch.tensor([[[[0, 255], [51, 102]]]], dtype=torch.uint8)
    data = ScaledImages(images, torch.tensor([7]))
    x, label = data[0]
    assert x.dtype == torch.float32 and torch.equal(x, torch.tensor([[[0.0, 1.0], [0.2, 0.4]]]))
    assert label.item() == 7 and len(data) == 1 and data.images.dtype == torch.uint8
