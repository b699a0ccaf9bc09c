"""dpzoo: a model zoo of regularized VAEs with decoupled priors (dpVAE, Bhalodia et al., ACCV 2020).

`import dpzoo` stays light (no torch) so that the CLI starts fast; the API below is imported on use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {"load": ("dpzoo.pretrained", "load"), "DPVAE": ("dpzoo.model", "DPVAE"), "train": ("dpzoo.train", "train")}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'dpzoo' has no attribute {name!r}")


__all__ = ["__version__", "load", "DPVAE", "train"]
