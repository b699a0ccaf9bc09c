"""Traversals, reconstructions and the evaluation's picture files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dpzoo.errors import EvaluationError
from dpzoo.evaluate.chart import line_chart
from dpzoo.evaluate.context import EvaluationContext, EvaluationData
from dpzoo.evaluate.pictures import PictureConfig, reconstructions, traversal, write_pictures


@pytest.fixture(scope="module")
def digits(mnist_model) -> EvaluationData:  # noqa: ANN001
    full = EvaluationData.of(mnist_model, "test")
    return EvaluationData(full.dataset, full.split, full.description, full.x[:100])


def test_traversal_moves_one_generation_space_axis_per_row(mnist_model, digits: EvaluationData) -> None:  # noqa: ANN001
    grid = traversal(mnist_model, digits.x[:1], steps=5, span=2.0, dims=[1, 3])
    assert grid.shape == (10, 1, 28, 28)
    with torch.no_grad():
        u = mnist_model.to_generation(mnist_model.encode(digits.x[:1])[0])[0]
        for row, dim in enumerate([1, 3]):
            for step, value in enumerate(torch.linspace(-2, 2, 5)):
                point = u.clone()
                point[dim] = value
                expected = mnist_model.decode(mnist_model.from_generation(point[None]))[0]
                torch.testing.assert_close(grid[row * 5 + step], expected, atol=1e-5, rtol=1e-5)


def test_traversal_rejects_dimensions_the_model_lacks(mnist_model, digits: EvaluationData) -> None:  # noqa: ANN001
    with pytest.raises(EvaluationError, match="latent dimension 4 does not exist; this model has dimensions 0 to 3"):
        traversal(mnist_model, digits.x[:1], dims=[4])


def test_reconstructions_alternate_originals_and_their_reconstructions(mnist_model, digits: EvaluationData) -> None:  # noqa: ANN001
    grid = reconstructions(mnist_model, digits.x[:16], per_row=8)
    torch.testing.assert_close(grid[:8], digits.x[:8])
    torch.testing.assert_close(grid[8:16], mnist_model.reconstruct(digits.x[:8]))
    torch.testing.assert_close(grid[16:24], digits.x[8:16])


def test_write_pictures_draws_every_grid_as_png(mnist_model, digits: EvaluationData, tmp_path: Path) -> None:  # noqa: ANN001
    context = EvaluationContext(mnist_model, digits)
    written = write_pictures(context, tmp_path, PictureConfig(count=16, oversample=2, traversal_steps=5))
    assert sorted(p.name for p in written.values()) == sorted(
        ["samples.png", "low_posterior.png", "high_posterior.png", "reconstructions.png", "traversals.png"]
    )
    # 16 samples in a 4 × 4 grid of 28-pixel images with 2-pixel padding; 4 traversal rows of 5.
    assert Image.open(tmp_path / "samples.png").size == (4 * 30 + 2, 4 * 30 + 2)
    assert Image.open(tmp_path / "traversals.png").size == (5 * 30 + 2, 4 * 30 + 2)


def test_point_data_gets_no_pictures(tmp_path: Path) -> None:
    from dpzoo.model import DPVAE
    from dpzoo.recipe import Recipe

    recipe = Recipe.create("two-moons", "gaussian", "vae", None, 2, {"dataset": {"train_size": 200, "test_size": 100}})
    model = DPVAE.from_config(recipe.model)
    data = EvaluationData.load(recipe.dataset, "test")
    assert write_pictures(EvaluationContext(model, data), tmp_path) == {}
    assert not any(tmp_path.iterdir())


def test_line_chart_draws_the_points_it_is_given() -> None:
    import io

    png = line_chart([-90, -50, -10, -1], [3.0, None, 1.0, 0.5], "leakage", "τ", "score")
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    blue = (image == (31, 119, 180)).all(-1)
    assert image.shape == (420, 640, 3) and blue.sum() > 100  # markers and lines of the three defined points
    empty = np.asarray(Image.open(io.BytesIO(line_chart([-90, -1], [None, None], "leakage", "τ", "score"))).convert("RGB"))
    assert not (empty == (31, 119, 180)).all(-1).any()
