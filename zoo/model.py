"""The dpVAE: encoder and decoder (an architecture), a prior, a regularizer and a likelihood.

One class serves every combination in the paper. The prior decides how p(z) is evaluated and sampled
(identity g for the plain VAE, a flow for the dpVAE); the regularizer decides the objective on z.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from . import config_io, registry
from .architecture import Architecture
from .errors import ConfigError, MissingPluginError, UnknownPluginError
from .likelihood import Likelihood, LikelihoodConfig
from .prior import Prior
from .regularizer import ForwardOutput, Regularizer, RegularizerContext


@dataclass(frozen=True)
class PluginSpec:
    """A plugin by registered name, with its config as a JSON-ready dict (defaults filled in)."""

    name: str
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model; stored under "model" in a checkpoint's config.json."""

    architecture: PluginSpec
    prior: PluginSpec
    regularizer: PluginSpec
    latent_dim: int = 16
    likelihood: LikelihoodConfig = LikelihoodConfig()
    dataset_size: int = 60_000  # β-TCVAE's minibatch weighting needs N (MNIST train set)

    def to_dict(self) -> dict[str, Any]:
        return config_io.to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        data = dict(data)
        try:
            for key in ("architecture", "prior", "regularizer"):
                data[key] = config_io.from_dict(PluginSpec, data[key], f"model.{key}")
            data["likelihood"] = config_io.from_dict(LikelihoodConfig, data.get("likelihood"), "model.likelihood")
        except KeyError as exc:
            raise ConfigError(f"model config lacks {exc}; it was not written by dpzoo") from None
        return config_io.from_dict(cls, data, "model")


def resolve_plugin(kind: str, spec: PluginSpec, provenance: dict[str, Any] | None = None) -> tuple[type, Any]:
    """The plugin class and its typed config; names the missing package when a checkpoint needs one."""
    try:
        cls = registry.get(kind, spec.name)
    except UnknownPluginError:
        source = (provenance or {}).get(kind, {})
        if source.get("distribution") and source.get("name") == spec.name:
            raise MissingPluginError(
                f"this model needs {kind} '{spec.name}' from {source['distribution']}; "
                f"install it with `pip install {source['distribution']}`"
            ) from None
        raise
    return cls, config_io.from_dict(cls.Config, spec.config, f"{kind} '{spec.name}'")


def filled(kind: str, spec: PluginSpec) -> PluginSpec:
    """`spec` with every default of its plugin's config written out, so config.json is complete."""
    _, cfg = resolve_plugin(kind, spec)
    return PluginSpec(spec.name, config_io.to_dict(cfg))


class DPVAE(nn.Module):
    """A VAE whose prior is p(z) = N(g(z); 0, I)·|det ∂g/∂z| (a plain VAE when g is the identity)."""

    def __init__(self, architecture: Architecture, prior: Prior, regularizer: Regularizer, config: ModelConfig):
        super().__init__()
        self.architecture = architecture
        self.prior = prior
        self.regularizer = regularizer
        self.config = config
        self.likelihood = Likelihood(config.likelihood)

    @classmethod
    def from_config(cls, config: ModelConfig, provenance: dict[str, Any] | None = None) -> DPVAE:
        arch_cls, arch_cfg = resolve_plugin("architecture", config.architecture, provenance)
        prior_cls, prior_cfg = resolve_plugin("prior", config.prior, provenance)
        reg_cls, reg_cfg = resolve_plugin("regularizer", config.regularizer, provenance)
        context = RegularizerContext(latent_dim=config.latent_dim, dataset_size=config.dataset_size)
        return cls(
            arch_cls(config.latent_dim, arch_cfg),
            prior_cls(config.latent_dim, prior_cfg),
            reg_cls(reg_cfg, context),
            config,
        )

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def data_shape(self) -> tuple[int, ...]:
        return tuple(self.architecture.data_shape)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """μ(x) and log σ²(x) of q(z|x) in the representation space."""
        return self.architecture.encode(x)

    def decode(self, z: Tensor) -> Tensor:
        """The mean of p(x|z), e.g. pixel intensities in [0, 1]."""
        return self.likelihood.mean(self.architecture.decode(z))

    def to_generation(self, z: Tensor) -> Tensor:
        """u = g(z): representation space → generation space (identity for the Gaussian prior)."""
        return self.prior.to_generation(z)[0]

    def from_generation(self, u: Tensor) -> Tensor:
        """z = g⁻¹(u): generation space → representation space."""
        return self.prior.from_generation(u)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n new data points: u ~ N(0, I), z = g⁻¹(u), x = mean of p(x|z)."""
        return self.decode(self.prior.sample(n, generator=generator))

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x)[0])

    def forward(self, x: Tensor, noise: Tensor | None = None) -> ForwardOutput:
        """One pass through q(z|x) and p(x|z); `noise` is ε of z = μ + σ·ε, drawn here when not given.

        Under torchrun each process passes its rows of the global batch's noise, so that N processes
        draw what one would (`dpzoo.distributed.Replica`).
        """
        mu, logvar = self.encode(x)
        z = mu + (torch.randn_like(mu) if noise is None else noise) * torch.exp(0.5 * logvar)
        raw = self.architecture.decode(z)
        return ForwardOutput(
            x=x,
            raw=raw,
            mu=mu,
            logvar=logvar,
            z=z,
            log_likelihood=self.likelihood.log_prob(raw, x),
            kl=self.prior.kl(mu, logvar, z),
        )

    def loss(self, x: Tensor, step: int) -> tuple[ForwardOutput, dict[str, Tensor]]:
        out = self(x)
        return out, self.regularizer.loss(out, self.prior, step)

    def vae_parameters(self) -> list[nn.Parameter]:
        """Parameters trained by the main optimizer: everything but the regularizer's own modules."""
        own = {id(p) for p in self.regularizer.auxiliary_parameters()}
        return [p for p in self.parameters() if id(p) not in own]
