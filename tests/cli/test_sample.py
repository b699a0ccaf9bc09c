"""`dpzoo sample` on the embedded default model writes real-looking digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from dpzoo import pretrained
from dpzoo.plugins.datasets.mnist import bundled_split


def _tiles(path: Path, n: int = 8, size: int = 28, pad: int = 2) -> np.ndarray:
    grid = np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255
    step = size + pad
    return np.stack([grid[pad + r * step : pad + r * step + size, pad + c * step : pad + c * step + size] for r in range(n) for c in range(n)])


def _nearest_distances(images: np.ndarray, reference: np.ndarray) -> np.ndarray:
    a, b = torch.as_tensor(images.reshape(len(images), -1)), torch.as_tensor(reference.reshape(len(reference), -1))
    return torch.cdist(a, b).min(1).values.numpy()


def test_sample_writes_an_8x8_grid_of_digits(dpzoo_cli, tmp_path: Path) -> None:
    result = dpzoo_cli("sample", "--n", "64", "--out", "grid.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    image = Image.open(tmp_path / "grid.png")
    assert image.size == (8 * 30 + 2, 8 * 30 + 2)  # 8×8 tiles of 28 px with torchvision's 2-px padding

    samples = _tiles(tmp_path / "grid.png")
    train_images, _ = bundled_split("train")
    reference = train_images.astype(np.float32) / 255
    test_images, _ = bundled_split("test")
    real = _nearest_distances(test_images[:64].astype(np.float32) / 255, reference)
    shuffled = np.random.default_rng(0).permuted(samples.reshape(64, -1), axis=1)  # same pixels, no digit
    noise = _nearest_distances(shuffled, reference)
    generated = _nearest_distances(samples, reference)
    # generated digits sit as close to real training digits as real held-out digits do, far from their own pixel soup
    assert np.median(generated) < 1.25 * np.median(real)
    assert np.median(generated) < 0.6 * np.median(noise)
    assert samples.std(axis=(1, 2)).min() > 0.1  # no blank tiles


def test_same_seed_same_images_other_seed_other_images(dpzoo_cli, tmp_path: Path) -> None:
    for name, seed in [("a.png", "1"), ("b.png", "1"), ("c.png", "2")]:
        assert dpzoo_cli("sample", "--n", "4", "--seed", seed, "--out", name, cwd=tmp_path).returncode == 0
    a, b, c = (np.asarray(Image.open(tmp_path / n)) for n in ("a.png", "b.png", "c.png"))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_individual_writes_one_png_per_sample(dpzoo_cli, tmp_path: Path) -> None:
    result = dpzoo_cli("sample", "--n", "3", "--individual", "--out", "digits", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "digits").glob("*.png"))
    assert [f.name for f in files] == ["sample_0000.png", "sample_0001.png", "sample_0002.png"]
    assert all(Image.open(f).size == (28, 28) for f in files)


def test_python_api_matches_the_cli(dpzoo_cli, tmp_path: Path) -> None:
    assert dpzoo_cli("sample", "--n", "4", "--seed", "7", "--individual", "--out", "d", cwd=tmp_path).returncode == 0
    model = pretrained.load()
    images = model.sample(4, generator=torch.Generator().manual_seed(7))
    first = np.asarray(Image.open(tmp_path / "d" / "sample_0000.png").convert("L"), dtype=np.float32)
    assert np.abs(first - (images[0, 0].numpy() * 255)).max() <= 1.0  # PNG rounding only
    assert model.from_generation(model.to_generation(model.encode(torch.zeros(1, 1, 28, 28))[0])).shape == (1, 16)
