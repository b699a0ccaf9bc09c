"""The plugin registry: every prior, regularizer, architecture, dataset and metric is found here.

Plugins are Python entry points in the groups below. dpzoo's own built-ins are registered in its
pyproject through the very same groups, so a third-party package is a peer, not a guest. Listing
plugins reads only package metadata; a plugin's module is imported the first time it is used, so a
broken or heavy plugin costs nothing until someone asks for it.

A third-party plugin class states the plugin API it was written against as `dpzoo_api = 1`; when
that is not the `API_VERSION` of the running dpzoo the plugin is refused with a message that says
which side to upgrade, instead of failing somewhere inside training.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from . import __version__
from .errors import PluginLoadError, UnknownPluginError

GROUPS: dict[str, str] = {
    "prior": "dpzoo.priors",
    "regularizer": "dpzoo.regularizers",
    "architecture": "dpzoo.architectures",
    "dataset": "dpzoo.datasets",
    "metric": "dpzoo.metrics",
}
BUILTIN_DISTRIBUTION = "dpzoo"
API_VERSION = 1  # raise when an interface in prior/regularizer/architecture/dataset/metric.py changes incompatibly


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
        cls = ep.load()
    except Exception as exc:  # any failure inside third-party code must stay contained
        raise PluginLoadError(
            f"{kind} '{name}' from {plugin.distribution} {plugin.version} failed to import "
            f"({type(exc).__name__}: {exc}); reinstall or fix that package"
        ) from exc
    _check_api(plugin, cls)
    return cls


def loadable(kind: str) -> dict[str, type]:
    """Every plugin of `kind` that loads, by name, for callers that run "all of them".

    Asked for by name (`get`), a broken plugin is an error; here it is skipped with one warning
    naming its distribution, so one bad package never stops the others.
    """
    found: dict[str, type] = {}
    for name in names(kind):
        try:
            found[name] = get(kind, name)
        except PluginLoadError as exc:
            _warn_once(f"{exc}; skipped")
    return found


def _check_api(plugin: PluginInfo, cls: type) -> None:
    """Refuse a plugin written for another plugin API; built-ins always match the dpzoo they ship in."""
    if plugin.builtin:
        return
    where = f"{plugin.kind} '{plugin.name}' from {plugin.distribution} {plugin.version}"
    declared = getattr(cls, "dpzoo_api", None)
    if declared is None:
        _warn_once(
            f"{where} does not say which dpzoo plugin API it targets; its author should add "
            f"`dpzoo_api = {API_VERSION}` to {plugin.target}"
        )
        return
    if declared == API_VERSION:
        return
    newer = isinstance(declared, int) and declared > API_VERSION
    fix = "upgrade dpzoo" if newer else f"upgrade {plugin.distribution} to a release for plugin API {API_VERSION}"
    raise PluginLoadError(f"{where} targets dpzoo plugin API {declared!r}, but dpzoo {__version__} provides API {API_VERSION}; {fix}")


def refresh() -> None:
    """Forget what was read, e.g. after a package was installed into the running interpreter."""
    _entries.cache_clear()
    get.cache_clear()
    _warned.clear()
