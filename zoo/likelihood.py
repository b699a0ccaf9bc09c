"""The decoder's likelihood p(x|z): Bernoulli, or the paper's weighted squared error.

The paper's MSE loss `w · Σ (x − x̂)²` is, up to a constant, the log-density of a Gaussian with
variance 1/(2w). We keep that constant so that `log_prob` is a real density and importance-sampled
NLLs of different models are comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class LikelihoodConfig:
    name: Literal["bernoulli", "mse"] = "bernoulli"
    mse_weight: float = 1.0  # authors' configs use 1, 10 or 100
    link: Literal["sigmoid", "identity"] = "sigmoid"  # sigmoid for pixels in [0, 1]

    def __post_init__(self) -> None:
        if self.name == "bernoulli" and self.link != "sigmoid":
            raise ValueError("the bernoulli likelihood needs link 'sigmoid'")
        if self.mse_weight <= 0:
            raise ValueError("mse_weight must be positive")


class Likelihood:
    """Turns the decoder's raw output into a mean image and a per-example log-likelihood."""

    def __init__(self, config: LikelihoodConfig):
        self.config = config

    def mean(self, raw: Tensor) -> Tensor:
        return torch.sigmoid(raw) if self.config.link == "sigmoid" else raw

    def log_prob(self, raw: Tensor, x: Tensor) -> Tensor:
        """log p(x|z) summed over all data dimensions, one value per example."""
        dims = tuple(range(1, x.dim()))
        if self.config.name == "bernoulli":
            return -F.binary_cross_entropy_with_logits(raw, x, reduction="none").sum(dims)
        w = self.config.mse_weight
        squared = (x - self.mean(raw)).pow(2).sum(dims)
        n = x[0].numel()
        return -w * squared + 0.5 * n * math.log(w / math.pi)
