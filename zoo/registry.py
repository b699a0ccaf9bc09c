"""The plugin registry: every prior, regularizer, architecture, dataset and metric is found here.

Plugins are Python entry points in the groups below. dpzoo's own built-ins are registered in its
pyproject through the very same groups, so a third-party package is a peer, not a guest. Listing
plugins reads only package metadata; a plugin's module is imported the first time it is used, so a
broken or heavy plugin costs nothing until someone asks for it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from .errors import PluginLoadError, UnknownPluginError

GROUPS: dict[str, str] = {
    "prior": "dpzoo.priors",
    "regularizer": "dpzoo.regularizers",
    "architecture": "dpzoo.architectures",
    "dataset": "dpzoo.datasets",
    "metric": "dpzoo.metrics",
}
BUILTIN_DISTRIBUTION = "dpzoo"


class PluginWarning(UserWarning):
    """A plugin that could not be registered or imported; every other plugin keeps working."""


@dataclass(frozen=True)
class PluginInfo:
    """What the metadata says about one plugin, known without importing it."""

    kind: str
    name: str
    target: str
    distribution: str
    version: str

    @property
    def builtin(self) -> bool:
        return self.distribution == BUILTIN_DISTRIBUTION


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, PluginWarning, stacklevel=3)


_warned: set[str] = set()


def _info(kind: str, ep: EntryPoint) -> PluginInfo:
    dist = ep.dist
    return PluginInfo(
        kind=kind,
        name=ep.name,
        target=ep.value,
        distribution=dist.metadata["Name"] if dist is not None else "unknown",
        version=dist.version if dist is not None else "unknown",
    )


@cache
def _entries(kind: str) -> dict[str, tuple[PluginInfo, EntryPoint]]:
    if kind not in GROUPS:
        raise UnknownPluginError("plugin kind", kind, list(GROUPS))
    found: dict[str, tuple[PluginInfo, EntryPoint]] = {}
    for ep in entry_points(group=GROUPS[kind]):
        info = _info(kind, ep)
        if ep.name in found:
            kept, dropped = found[ep.name][0], info
            if info.builtin and not kept.builtin:
                kept, dropped = info, kept
                found[ep.name] = (info, ep)
            if kept.distribution != dropped.distribution:
                _warn_once(
                    f"{kind} '{ep.name}' from {dropped.distribution} is ignored: "
                    f"{kept.distribution} already registers that name; rename it in its entry points"
                )
            continue
        found[ep.name] = (info, ep)
    return found


def plugins(kind: str) -> list[PluginInfo]:
    """The plugins of one kind, sorted by name, without importing any of them."""
    return [info for info, _ in sorted(_entries(kind).values(), key=lambda pair: pair[0].name)]


def names(kind: str) -> list[str]:
    return [info.name for info in plugins(kind)]


def info(kind: str, name: str) -> PluginInfo:
    try:
        return _entries(kind)[name][0]
    except KeyError:
        raise UnknownPluginError(kind, name, names(kind)) from None


@cache
def get(kind: str, name: str) -> type:
    """Import and return the plugin class registered as `name` in the group of `kind`."""
    entries = _entries(kind)
    if name not in entries:
        raise UnknownPluginError(kind, name, names(kind))
    plugin, ep = entries[name]
    try:
        return ep.load()
    except Exception as exc:  # any failure inside third-party code must stay contained
        message = (
            f"{kind} '{name}' from {plugin.distribution} {plugin.version} failed to import "
            f"({type(exc).__name__}: {exc}); reinstall or fix that package"
        )
        _warn_once(message)
        raise PluginLoadError(message) from exc


def refresh() -> None:
    """Forget what was read, e.g. after a package was installed into the running interpreter."""
    _entries.cache_clear()
    get.cache_clear()
    _warned.clear()
