"""The pictures of an evaluation: random, low-posterior and high-posterior samples, reconstructions, traversals.

Each is a PNG grid written atomically. Random samples show what users get; LP samples (prior
samples where the aggregate posterior is lowest) show the pockets a regularized VAE's prior leaves
empty, HP samples (posterior samples the prior hardly generates) show what it cannot reach (paper
§5.1, figs. 4–6). Traversals move along one generation-space axis at a time: linear in u for a dpVAE,
which for the Gaussian prior (g = identity) is the usual traversal in z.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from dpzoo import images
from dpzoo.errors import EvaluationError
from dpzoo.model import DPVAE

from .aggregate_posterior import high_posterior_samples, low_posterior_samples
from .context import EvaluationContext


@dataclass(frozen=True)
class PictureConfig:
    count: int = 64  # images per sample grid (8 × 8)
    oversample: int = 10  # LP/HP pictures pick count of oversample × count candidates, as FID(LP)
    traversal_steps: int = 11
    traversal_span: float = 3.0  # u from −3 to 3: ±3 standard deviations of the generation space


@torch.no_grad()
def traversal(model: DPVAE, x: Tensor, steps: int = 11, span: float = 3.0, dims: list[int] | None = None) -> Tensor:
    """Images (len(dims)·steps, …): row i moves generation-space axis dims[i] of x's encoding from −span to span."""
    dims = list(range(model.latent_dim)) if dims is None else dims
    bad = [d for d in dims if not 0 <= d < model.latent_dim]
    if bad:
        raise EvaluationError(f"latent dimension {bad[0]} does not exist; this model has dimensions 0 to {model.latent_dim - 1}")
    if steps < 2:
        raise EvaluationError(f"a traversal needs at least 2 steps, got {steps}")
    mu, _ = model.encode(x[:1].to(model.device))
    u = model.to_generation(mu).repeat(len(dims) * steps, 1)
    values = torch.linspace(-span, span, steps, device=u.device)
    for row, dim in enumerate(dims):
        u[row * steps : (row + 1) * steps, dim] = values
    return model.decode(model.from_generation(u)).cpu()


@torch.no_grad()
def reconstructions(model: DPVAE, x: Tensor, per_row: int = 8) -> Tensor:
    """Rows alternate: `per_row` originals, then their reconstructions (decoder mean at μ(x))."""
    x = x.to(model.device)
    rows = []
    for start in range(0, len(x), per_row):
        originals = x[start : start + per_row]
        rows += [originals.cpu(), model.reconstruct(originals).cpu()]
    return torch.cat(rows)


def write_pictures(context: EvaluationContext, directory: Path, config: PictureConfig = PictureConfig()) -> dict[str, Path]:
    """Every picture of an image model, as {caption: PNG path}; nothing for non-image data."""
    if not context.data.is_image:
        return {}
    model, (mu, logvar) = context.model, context.posterior
    n = config.count
    z_random = model.prior.sample(n, generator=context.generator("pictures/random"))
    z_low = low_posterior_samples(model.prior, n, mu, logvar, context.generator("pictures/lp"), config.oversample)
    z_high = high_posterior_samples(model.prior, n, mu, logvar, context.generator("pictures/hp"), config.oversample)
    decoded = {name: torch.cat(list(context.decode(z))) for name, z in (("random", z_random), ("lp", z_low), ("hp", z_high))}
    grids = {
        "Random samples (u ~ N(0, I), z = g⁻¹(u))": ("samples.png", decoded["random"], None),
        f"Low-posterior samples (lowest log q(z) of {config.oversample}× as many prior samples)": ("low_posterior.png", decoded["lp"], None),
        f"High-posterior samples (lowest log p(z) of {config.oversample}× as many q(z) samples)": ("high_posterior.png", decoded["hp"], None),
        "Reconstructions (odd rows: test images, even rows: reconstructions)": ("reconstructions.png", reconstructions(model, context.data.x[:32]), 8),
        f"Traversals: row i moves generation-space axis i from −{config.traversal_span:g} to {config.traversal_span:g}": (
            "traversals.png",
            traversal(model, context.data.x[:1], config.traversal_steps, config.traversal_span),
            config.traversal_steps,
        ),
    }
    return {caption: images.save_grid(grid, directory / name, nrow=nrow) for caption, (name, grid, nrow) in grids.items()}
