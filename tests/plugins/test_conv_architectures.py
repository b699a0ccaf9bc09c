"""conv32 (SVHN) and conv64 (CelebA): the authors' layer lists, shapes, and training through the recipe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from dpzoo.plugins.architectures.conv32 import Conv32, Conv32Config
from dpzoo.plugins.architectures.conv64 import Conv64, Conv64Config
from dpzoo.recipe import Recipe
from dpzoo.train import train


def conv(c_in: int, c_out: int, k: int) -> int:
    return c_out * c_in * k * k + c_out


def linear(a: int, b: int) -> int:
    return a * b + b


def conv32_parameters(c_in: int, d: int) -> int:
    """BetaVAE_SVHN of the authors' models/beta_model.py, layer by layer."""
    encoder = conv(c_in, 32, 4) + conv(32, 32, 4) + 6 * conv(32, 32, 3) + 8 * 2 * 32 + linear(512, 2 * d)
    decoder = linear(d, 512) + 2 * conv(32, 32, 3) + 2 * conv(32, 32, 4) + 3 * conv(32, 32, 3) + conv(32, c_in, 3)
    return encoder + decoder


def conv64_parameters(c_in: int, d: int) -> int:
    """BetaVAE_CelebA of the authors' models/beta_model.py, layer by layer (fil_sz 32)."""
    widths = [32, 64, 128, 256, 256]
    encoder = sum(conv(a, b, 4) + 2 * b for a, b in zip([c_in, *widths], widths)) + linear(1024, 2 * d)
    ups = [(256, 256), (256, 128), (128, 64), (64, 32)]
    decoder = linear(d, 1024) + sum(conv(a, b, 3) + 2 * b for a, b in ups) + conv(32, c_in, 3)
    return encoder + decoder


@pytest.mark.parametrize("c_in", [1, 3])
def test_conv32_is_the_authors_svhn_network(c_in: int) -> None:
    arch = Conv32(8, Conv32Config(in_channels=c_in))
    assert sum(p.numel() for p in arch.parameters()) == conv32_parameters(c_in, 8)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in arch.encoder) == 8
    assert not any(isinstance(m, nn.BatchNorm2d) for m in arch.decoder)
    x = torch.rand(4, c_in, 32, 32)
    mu, logvar = arch.encode(x)
    assert mu.shape == logvar.shape == (4, 8)
    assert arch.decode(mu).shape == x.shape == (4, *arch.data_shape)


@pytest.mark.parametrize("c_in", [1, 3])
def test_conv64_is_the_authors_celeba_network(c_in: int) -> None:
    arch = Conv64(8, Conv64Config(in_channels=c_in))
    assert sum(p.numel() for p in arch.parameters()) == conv64_parameters(c_in, 8)
    norms = [m for m in arch.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 9 and [m.eps for m in norms[5:]] == [1e-3] * 4
    assert {m.negative_slope for m in arch.modules() if isinstance(m, nn.LeakyReLU)} == {0.01}
    x = torch.rand(2, c_in, 64, 64)
    mu, _ = arch.encode(x)
    assert mu.shape == (2, 8) and arch.decode(mu).shape == x.shape


def test_conv64_with_slope_one_is_the_authors_linear_leaky_relu() -> None:
    """`nn.LeakyReLU(True)` in the authors' code is a slope of 1: the activation is the identity."""
    arch = Conv64(4, Conv64Config(negative_slope=1.0))
    act = next(m for m in arch.modules() if isinstance(m, nn.LeakyReLU))
    v = torch.randn(100)
    assert torch.equal(act(v), v) and torch.equal(nn.LeakyReLU(True)(v), v)


@pytest.mark.parametrize(("size", "name"), [(32, "conv32"), (64, "conv64")])
def test_image_data_of_that_size_trains_with_it(tmp_path: Path, size: int, name: str) -> None:
    images = np.random.default_rng(0).integers(0, 256, size=(16, 3, size, size), dtype=np.uint8)
    np.savez(tmp_path / "images.npz", train=images, test=images[:4])
    recipe = Recipe.create(
        "npz", "decoupled", "beta-tc", None, 4,
        {"dataset": {"path": str(tmp_path / "images.npz")}, "training": {"steps": 3, "batch_size": 8, "log_every": 1}},
    )  # fmt: skip
    assert recipe.model.architecture.name == name and recipe.model.architecture.config["in_channels"] == 3
    reports = []
    train(recipe, tmp_path / "run", on_progress=reports.append)
    assert len(reports) == 3 and all(np.isfinite(list(r.terms.values())).all() for r in reports)
