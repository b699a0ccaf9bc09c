"""The bare PyTorch loop dpzoo's trainer is measured against: the least a user could write.

The model and loss of `dpzoo train --dataset mnist --architecture conv28 --latent-dim 16 --regularizer
vae`, written out by hand: the authors' conv28 encoder and decoder as two nn.Sequential, Bernoulli
likelihood, and either the closed-form KL of the Gaussian prior or eq. 5 through a 6-block RealNVP
flow written as the textbook per-net loop; Adam with PyTorch's defaults; forward, backward, step —
no checkpoints, no logging, no checks. `tuned=True` gives the loop dpzoo's flow module and fused
Adam, so that comparing it with the trainer isolates what the trainer itself costs.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from coupling_variants import PlainCouplingFlow
from torch import Tensor, nn

from dpzoo.plugins.priors.coupling import AffineCouplingFlow


def conv28(latent_dim: int, c: int = 32, h: int = 256) -> tuple[nn.Sequential, nn.Sequential]:
    encoder = nn.Sequential(
        nn.Conv2d(1, c, 4, 2, 1), nn.ReLU(), nn.Conv2d(c, c, 3, 1), nn.ReLU(),
        nn.Conv2d(c, c, 4, 2, 1), nn.ReLU(), nn.Conv2d(c, c, 3, 1), nn.ReLU(), nn.Flatten(),
        nn.Linear(c * 16, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 2 * latent_dim),
    )  # fmt: skip
    decoder = nn.Sequential(
        nn.Linear(latent_dim, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, c * 16), nn.ReLU(),
        nn.Unflatten(1, (c, 4, 4)), nn.ConvTranspose2d(c, c, 3, 1), nn.ReLU(), nn.ConvTranspose2d(c, c, 4, 2, 1),
        nn.ReLU(), nn.ConvTranspose2d(c, c, 3, 1), nn.ReLU(), nn.ConvTranspose2d(c, 1, 4, 2, 1),
    )  # fmt: skip
    return encoder, decoder


def textbook_flow(dim: int, blocks: int = 6, width: int = 64) -> PlainCouplingFlow:
    def net() -> nn.Sequential:
        return nn.Sequential(nn.Linear(dim, width), nn.LeakyReLU(), nn.Linear(width, width), nn.LeakyReLU(), nn.Linear(width, dim), nn.Tanh())

    half = torch.zeros(dim)
    half[: dim // 2] = 1
    masks = torch.stack([half if k % 2 == 0 else 1 - half for k in range(blocks)])
    return PlainCouplingFlow(masks, nn.ModuleList(net() for _ in range(blocks)), nn.ModuleList(net() for _ in range(blocks)))


def train(x: Tensor, prior: str, steps: int, batch_size: int = 100, seed: int = 0, tuned: bool = False) -> dict[str, float]:
    """Train on the images `x` for `steps` steps; returns the step loop's own rate (setup excluded)."""
    torch.manual_seed(seed)
    latent_dim = 16
    encoder, decoder = conv28(latent_dim)
    modules = [encoder, decoder]
    flow: nn.Module | None = None
    if prior == "decoupled":
        flow = AffineCouplingFlow(latent_dim) if tuned else textbook_flow(latent_dim)
        modules.append(flow)
    params = [p for m in modules for p in m.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3, fused=True) if tuned else torch.optim.Adam(params, lr=1e-3)
    per_epoch = len(x) // batch_size
    began = time.perf_counter()
    for step in range(steps):
        if step % per_epoch == 0:
            order = torch.randperm(len(x))
        batch = x[order[(step % per_epoch) * batch_size : (step % per_epoch + 1) * batch_size]]
        mu, logvar = encoder(batch).chunk(2, dim=-1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        reconstruction = F.binary_cross_entropy_with_logits(decoder(z), batch, reduction="none").sum((1, 2, 3))
        if flow is None:
            kl = 0.5 * (mu.pow(2) + torch.exp(logvar) - 1 - logvar).sum(-1)
        else:
            u, log_det = flow(z)
            kl = -0.5 * (1 + logvar).sum(-1) + 0.5 * u.pow(2).sum(-1) - log_det
        loss = (reconstruction + kl).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return {"loop_steps_per_second": steps / (time.perf_counter() - began)}
