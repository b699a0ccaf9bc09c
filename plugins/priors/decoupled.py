"""The decoupled prior of dpVAE: p(z) = N(g(z); 0, I)·|det ∂g/∂z| with g a RealNVP flow (paper §3)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from dpzoo.prior import Prior

from .coupling import AffineCouplingFlow


@dataclass(frozen=True)
class DecoupledPriorConfig:
    blocks: int = 6  # paper: 6 affine coupling blocks
    width: int = 64  # authors' code: s, t nets 64-64
    depth: int = 2

    def __post_init__(self) -> None:
        if self.blocks < 1 or self.width < 1 or self.depth < 1:
            raise ValueError("blocks, width and depth must be positive")


class DecoupledPrior(Prior):
    """Regularizers act on z; samples come from u ~ N(0, I) mapped through g⁻¹."""

    Config = DecoupledPriorConfig

    def __init__(self, latent_dim: int, config: DecoupledPriorConfig):
        super().__init__(latent_dim, config)
        self.flow = AffineCouplingFlow(latent_dim, config.blocks, config.width, config.depth)

    def to_generation(self, z: Tensor) -> tuple[Tensor, Tensor]:
        return self.flow(z)

    def from_generation(self, u: Tensor) -> Tensor:
        return self.flow.inverse(u)
