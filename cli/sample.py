"""`dpzoo sample`: draw images from a model (the embedded default when MODEL is left out)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from dpzoo.errors import ConfigError


def sample(
    model: Optional[str] = typer.Argument(None, help="Checkpoint directory or zoo name; default: the embedded dpvae-mnist."),
    n: int = typer.Option(64, "--n", help="Number of samples."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same images."),
    out: Path = typer.Option(Path("samples.png"), "--out", help="PNG file (grid) or directory (--individual)."),
    grid: bool = typer.Option(True, "--grid/--individual", help="One grid PNG, or one PNG per sample."),
) -> None:
    """Sample from a model: u ~ N(0, I), z = g⁻¹(u), x = decoder(z)."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1, got {n}")
    if grid and out.is_dir():
        raise ConfigError(f"--out {out} is a directory; give a .png file name, or use --individual")
    import torch

    from dpzoo import images, pretrained

    net = pretrained.load(model)
    generated = net.sample(n, generator=torch.Generator().manual_seed(seed))
    if grid:
        path = images.save_grid(generated, out)
        Console(stderr=True).print(f"wrote {n} samples to {path}")
    else:
        directory = out.with_suffix("") if out.suffix == ".png" else out
        paths = images.save_individual(generated, directory)
        Console(stderr=True).print(f"wrote {len(paths)} PNG files to {directory}/")
