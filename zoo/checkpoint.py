"""Checkpoint directories: safetensors weights + config.json, never pickle.

A checkpoint directory holds `model.safetensors` (the weights, regularizer modules such as FactorVAE's
discriminator included), `config.json` (everything needed to rebuild the model through the plugin
registry, and which distribution provided each plugin), `README.md` (the model card) and, while
training, `trainer_state.safetensors` (weights, optimizer states, RNG state and step in one file, so
that a resume always sees a consistent snapshot). Every file is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from . import __version__, atomic, registry
from .errors import CheckpointError
from .model import DPVAE, ModelConfig

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CARD_FILE = "README.md"
STATE_FILE = "trainer_state.safetensors"
LOG_FILE = "train_log.jsonl"


def provenance(config: ModelConfig, dataset: str | None = None) -> dict[str, dict[str, str]]:
    """Which installed distribution provides each plugin of `config` (and the dataset), recorded in config.json."""
    names = {kind: getattr(config, kind).name for kind in ("architecture", "prior", "regularizer")}
    if dataset is not None:
        names["dataset"] = dataset  # evaluation needs it again, so a missing one is named like the others
    out = {}
    for kind, name in names.items():
        info = registry.info(kind, name)
        out[kind] = {"name": info.name, "distribution": info.distribution, "version": info.version}
    return out


def _save_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    with atomic.atomic_path(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)


def write_config(directory: str | Path, config: dict[str, Any]) -> None:
    atomic.write_text(Path(directory) / CONFIG_FILE, json.dumps(config, indent=2) + "\n")


def run_config(sections: dict[str, Any], config: ModelConfig) -> dict[str, Any]:
    """The content of config.json: the recipe's sections, dpzoo's version and plugin provenance."""
    dataset = sections.get("dataset", {}).get("name")
    return {"dpzoo_version": __version__, **sections, "model": config.to_dict(), "plugins": provenance(config, dataset)}


def save_model(directory: str | Path, model: DPVAE, config: dict[str, Any]) -> None:
    """Write the published part of a checkpoint: weights and config.json."""
    directory = Path(directory)
    _save_tensors(directory / MODEL_FILE, model.state_dict(), {"format": "pt", "dpzoo_version": __version__})
    write_config(directory, config)


def read_config(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{path} not found; a checkpoint directory needs config.json and {MODEL_FILE}")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); restore it from the checkpoint's source") from None
    if not isinstance(config, dict) or "model" not in config:
        raise CheckpointError(f"{path} has no 'model' section; it was not written by dpzoo")
    return config


def check_weights(path: Path, expected: dict[str, torch.Tensor]) -> None:
    """Compare a safetensors header with the model that config.json describes, before loading."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            shapes = {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path} is truncated or corrupt ({exc}); download or train it again") from None
    missing = sorted(set(expected) - set(shapes))
    unexpected = sorted(set(shapes) - set(expected))
    wrong = sorted(k for k in set(shapes) & set(expected) if shapes[k] != tuple(expected[k].shape))
    if missing or unexpected or wrong:
        detail = (
            f"missing {missing[:3]}" if missing else f"unexpected {unexpected[:3]}" if unexpected
            else f"{wrong[0]} is {shapes[wrong[0]]}, config.json implies {tuple(expected[wrong[0]].shape)}"
        )  # fmt: skip
        raise CheckpointError(f"{path} does not match its config.json ({detail}); the files come from different models")


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path} is truncated or corrupt ({exc}); download or train it again") from None


def load_model(directory: str | Path, map_location: str | torch.device = "cpu") -> DPVAE:
    """Rebuild a model from config.json through the registry and load its safetensors weights."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint directory '{directory}' does not exist")
    config = read_config(directory)
    try:
        model_config = ModelConfig.from_dict(config["model"])
    except (TypeError, KeyError) as exc:
        raise CheckpointError(f"{directory / CONFIG_FILE} has a malformed model section ({exc})") from None
    model = DPVAE.from_config(model_config, provenance=config.get("plugins"))
    weights = directory / MODEL_FILE
    if not weights.is_file():
        raise CheckpointError(f"{weights} not found; only safetensors weights are loaded, never pickle")
    check_weights(weights, model.state_dict())
    model.load_state_dict(_load_tensors(weights))
    model.run_config = config
    return model.to(map_location).eval()


def save_training_state(directory: str | Path, model: DPVAE, optimizers: dict[str, torch.optim.Optimizer], step: int) -> None:
    """One file with all a bit-for-bit resume needs: weights, optimizer states, RNG state, step."""
    tensors: dict[str, torch.Tensor] = {f"model/{k}": v for k, v in model.state_dict().items()}
    tensors["rng/torch"] = torch.get_rng_state()
    groups: dict[str, Any] = {}
    scalars: dict[str, Any] = {}
    for name, optimizer in optimizers.items():
        state = optimizer.state_dict()
        groups[name] = state["param_groups"]
        for index, entries in state["state"].items():
            for key, value in entries.items():
                if torch.is_tensor(value):
                    tensors[f"optim/{name}/{index}/{key}"] = value
                else:
                    scalars[f"{name}/{index}/{key}"] = value
    metadata = {"step": str(step), "param_groups": json.dumps(groups), "scalars": json.dumps(scalars)}
    _save_tensors(Path(directory) / STATE_FILE, tensors, metadata)


def load_training_state(directory: str | Path, model: DPVAE, optimizers: dict[str, torch.optim.Optimizer]) -> int:
    """Restore what `save_training_state` wrote; returns the step to continue from."""
    path = Path(directory) / STATE_FILE
    if not path.is_file():
        raise CheckpointError(f"{path} not found; nothing to resume — train without --resume")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata()
    except SafetensorError as exc:
        raise CheckpointError(f"{path} is truncated or corrupt ({exc}); train again without --resume") from None
    tensors = _load_tensors(path)
    groups, scalars = json.loads(metadata["param_groups"]), json.loads(metadata["scalars"])
    if set(groups) != set(optimizers):
        raise CheckpointError(f"{path} holds optimizers {sorted(groups)}, this model has {sorted(optimizers)}")
    weights = {k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")}
    if set(weights) != set(model.state_dict()):
        raise CheckpointError(f"{path} was written for a different model; resume with the config it was trained with")
    model.load_state_dict(weights)
    for name, optimizer in optimizers.items():
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            if key.startswith(f"optim/{name}/"):
                index, entry = key.split("/")[2:]
                state.setdefault(int(index), {})[entry] = value
        for key, value in scalars.items():
            opt, index, entry = key.split("/")
            if opt == name:
                state.setdefault(int(index), {})[entry] = value
        optimizer.load_state_dict({"state": state, "param_groups": groups[name]})
    torch.set_rng_state(tensors["rng/torch"])
    return int(metadata["step"])
