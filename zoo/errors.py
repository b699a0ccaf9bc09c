"""Every error dpzoo raises on purpose.

Each message is one line that names the problem and the fix; the CLI prints it as is and exits
non-zero, Python users can catch the specific class. Library code never prints.
"""

from __future__ import annotations


class DpzooError(Exception):
    """Base class: an error whose message is meant for the user, without a traceback."""


class UnknownPluginError(DpzooError, KeyError):
    """A plugin name that no installed distribution registers."""

    def __init__(self, kind: str, name: str, available: list[str]):
        self.kind, self.name, self.available = kind, name, available
        listing = ", ".join(sorted(available)) or "none installed"
        super().__init__(f"unknown {kind} '{name}'; available: {listing}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class PluginLoadError(DpzooError):
    """A registered plugin whose import failed."""


class MissingPluginError(DpzooError):
    """A checkpoint needs a plugin that is not installed here."""


class ConfigError(DpzooError, ValueError):
    """A configuration value that cannot be used."""


class CheckpointError(DpzooError):
    """A checkpoint directory or file that is missing, truncated or inconsistent."""


class DataError(DpzooError):
    """A dataset that cannot be found or read."""


class TrainingDiverged(DpzooError):
    """A loss term became NaN or infinite; the last good checkpoint is kept."""

    def __init__(self, step: int, term: str, value: float):
        self.step, self.term, self.value = step, term, value
        super().__init__(
            f"training diverged at step {step}: loss term '{term}' is {value}; the last good "
            "checkpoint is kept — lower the learning rate or the regularizer weight and --resume"
        )


class EvaluationError(DpzooError):
    """An evaluation that cannot run: Inception weights missing or wrong, a metric that does not fit the data."""


class CatalogError(DpzooError, KeyError):
    """A zoo name that the catalog does not hold, or a catalog card that cannot be read."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class HubError(DpzooError):
    """A pull or push that the Hugging Face Hub (or the local cache) cannot serve."""


class DistributedError(DpzooError):
    """A data-parallel run that lost one of its processes, or a torchrun launch that failed."""
