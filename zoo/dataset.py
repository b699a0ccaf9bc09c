"""The dataset interface: where training and evaluation data come from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from torch.utils.data import Dataset as TorchDataset

Split = Literal["train", "test"]


class Dataset(ABC):
    """Base class of the `dpzoo.datasets` plugins.

    `load(split)` returns a torch Dataset whose items are `(x, label)`, x a float tensor shaped
    `data_shape` (images: pixels in [0, 1]). `default_architecture` and `default_likelihood` tell
    `dpzoo train --dataset NAME` what to use when the user does not say.
    """

    Config: ClassVar[type]
    data_shape: tuple[int, ...]
    default_architecture: str
    default_likelihood: dict[str, Any] = {"name": "bernoulli"}

    def __init__(self, config: Any):
        self.config = config

    @abstractmethod
    def load(self, split: Split) -> TorchDataset:
        """The examples of `split`; raises DataError naming where it looked if they are missing."""

    @abstractmethod
    def describe(self, split: Split) -> str:
        """One line for model cards and logs: exactly which data a number came from."""
