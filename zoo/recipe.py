"""A recipe: dataset + model + training settings, the full description of one zoo entry.

`config.json` of a checkpoint and the front matter of a catalog card both hold a recipe, so anything
in the zoo can be retrained with one command. `Recipe.create` fills the gaps of a short request
(`--dataset mnist --prior decoupled --regularizer vae`) from the dataset's and plugins' defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import config_io
from .dataset import Dataset
from .errors import ConfigError
from .likelihood import LikelihoodConfig
from .model import ModelConfig, PluginSpec, filled, resolve_plugin
from .train_config import TrainConfig


@dataclass(frozen=True)
class Recipe:
    dataset: PluginSpec
    model: ModelConfig
    training: TrainConfig

    @classmethod
    def create(
        cls,
        dataset: str,
        prior: str = "decoupled",
        regularizer: str = "vae",
        architecture: str | None = None,
        latent_dim: int = 16,
        overrides: dict[str, dict[str, Any]] | None = None,
    ) -> Recipe:
        """A complete recipe from plugin names and `{section: {field: value}}` overrides.

        Sections: dataset, architecture, prior, regularizer, likelihood, training.
        """
        overrides = overrides or {}
        unknown = set(overrides) - {"dataset", "architecture", "prior", "regularizer", "likelihood", "training"}
        if unknown:
            raise ConfigError(
                f"unknown setting section {sorted(unknown)[0]!r}; use dataset, architecture, prior, "
                "regularizer, likelihood or training (e.g. --set regularizer.beta=5)"
            )
        data_spec = filled("dataset", PluginSpec(dataset, overrides.get("dataset", {})))
        data = load_dataset(data_spec)
        arch_overrides = dict(overrides.get("architecture", {}))
        architecture = architecture or data.default_architecture
        if architecture == "mlp" and "data_dim" not in arch_overrides:
            arch_overrides["data_dim"] = data.data_shape[0]
        if architecture.startswith("conv") and "in_channels" not in arch_overrides and len(data.data_shape) == 3:
            arch_overrides["in_channels"] = data.data_shape[0]
        likelihood = config_io.from_dict(
            LikelihoodConfig, {**data.default_likelihood, **overrides.get("likelihood", {})}, "likelihood"
        )
        model = ModelConfig(
            architecture=filled("architecture", PluginSpec(architecture, arch_overrides)),
            prior=filled("prior", PluginSpec(prior, overrides.get("prior", {}))),
            regularizer=filled("regularizer", PluginSpec(regularizer, overrides.get("regularizer", {}))),
            latent_dim=latent_dim,
            likelihood=likelihood,
            dataset_size=len(data.load("train")),  # type: ignore[arg-type]
        )
        training = config_io.from_dict(TrainConfig, overrides.get("training", {}), "training")
        return cls(dataset=data_spec, model=model, training=training)

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": config_io.to_dict(self.dataset), "model": self.model.to_dict(), "training": config_io.to_dict(self.training)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        return cls(
            dataset=config_io.from_dict(PluginSpec, data.get("dataset"), "dataset"),
            model=ModelConfig.from_dict(data["model"]),
            training=config_io.from_dict(TrainConfig, data.get("training"), "training"),
        )

    def with_training(self, **changes: Any) -> Recipe:
        return Recipe(self.dataset, self.model, config_io.replace(self.training, changes, "training"))


def load_dataset(spec: PluginSpec, provenance: dict[str, Any] | None = None) -> Dataset:
    """The dataset plugin instance of `spec`; `provenance` (a checkpoint's) names the package if it is missing."""
    cls, config = resolve_plugin("dataset", spec, provenance)
    return cls(config)
