"""The registry keeps third-party plugins at arm's length.

Listing reads only metadata; a plugin is imported when it is used. A broken one, one that names a
missing object or one written for another plugin API is an error (naming its distribution) when asked
for by name, and one warning when skipped among all plugins of its kind; one that takes a built-in's
name costs one warning. Every other plugin keeps working.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dpzoo import registry
from dpzoo.errors import PluginLoadError
from dpzoo.plugins.regularizers.vae import VAE
from dpzoo.regularizer import Regularizer

GROUP = registry.GROUPS["regularizer"]

GOOD = """
from dpzoo.plugins.regularizers.vae import VAE

class Good(VAE):
    dpzoo_api = {api}
"""


@pytest.fixture
def install(make_distribution: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Make throwaway distributions visible to this interpreter, as `pip install` would."""
    modules: list[str] = []

    def add(name: str, entry_points: dict[str, dict[str, str]], sources: dict[str, str] | None = None, version: str = "0.1.0") -> None:
        site = make_distribution(name, entry_points, sources, version)
        modules.extend(sources or {})
        if str(site) not in sys.path:
            monkeypatch.syspath_prepend(str(site))
        registry.refresh()

    yield add
    for module in modules:
        sys.modules.pop(module, None)
    registry.refresh()


def plugin_warnings(action: Callable[[], object]) -> list[str]:
    """The PluginWarning messages `action` emits (run to completion even if it raises)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            action()
        except PluginLoadError:
            pass
    return [str(w.message) for w in caught if issubclass(w.category, registry.PluginWarning)]


def test_listing_reads_metadata_without_importing_the_plugin(install):
    install("dpzoo-lazy", {GROUP: {"lazy": "lazy_plugin:Lazy"}}, {"lazy_plugin": "raise RuntimeError('imported')"}, "2.3.4")
    emitted = plugin_warnings(lambda: registry.plugins("regularizer"))
    listed = {info.name: info for info in registry.plugins("regularizer")}
    assert (listed["lazy"].distribution, listed["lazy"].version, listed["lazy"].target) == ("dpzoo-lazy", "2.3.4", "lazy_plugin:Lazy")
    assert not listed["lazy"].builtin and listed["vae"].builtin
    assert "lazy_plugin" not in sys.modules
    assert emitted == []


def test_plugin_whose_import_raises_is_an_error_when_asked_for_and_one_warning_when_skipped(install):
    install(
        "dpzoo-boom",
        {GROUP: {"boom": "boom_plugin:Boom", "fine": "fine_plugin:Good"}},
        {"boom_plugin": "raise RuntimeError('kaboom at import')", "fine_plugin": GOOD.format(api=registry.API_VERSION)},
    )
    asked = "regularizer 'boom' from dpzoo-boom 0.1.0 failed to import (RuntimeError: kaboom at import)"
    for _ in range(2):  # asked for by name: an error each time, and no warning repeating it
        with pytest.raises(PluginLoadError, match=re.escape(asked)):
            registry.get("regularizer", "boom")
    assert plugin_warnings(lambda: registry.get("regularizer", "boom")) == []
    loaded: list[dict[str, type]] = []
    emitted = plugin_warnings(lambda: loaded.append(registry.loadable("regularizer")))
    emitted += plugin_warnings(lambda: loaded.append(registry.loadable("regularizer")))
    assert emitted == [f"{asked}; reinstall or fix that package; skipped"]
    assert "boom" not in loaded[0] and loaded[0]["vae"] is VAE and issubclass(loaded[0]["fine"], VAE)
    assert registry.get("regularizer", "vae") is VAE
    assert issubclass(registry.get("regularizer", "fine"), VAE)


@pytest.mark.parametrize(
    ("target", "sources", "cause"),
    [
        ("ghost_plugin:Missing", {"ghost_plugin": "class Present: pass"}, "AttributeError"),
        ("ghost_absent_module:Missing", {}, "ModuleNotFoundError"),
    ],
)
def test_entry_point_naming_a_missing_object_warns_once_naming_the_distribution(install, target, sources, cause):
    install("dpzoo-ghost", {GROUP: {"ghost": target}}, sources)
    with pytest.raises(PluginLoadError, match="dpzoo-ghost"):
        registry.get("regularizer", "ghost")
    emitted = plugin_warnings(lambda: registry.loadable("regularizer"))
    assert len(emitted) == 1
    assert emitted[0].startswith(f"regularizer 'ghost' from dpzoo-ghost 0.1.0 failed to import ({cause}:")
    assert "ghost" in registry.names("regularizer") and registry.get("regularizer", "vae") is VAE


def test_plugin_taking_a_builtin_name_is_ignored_with_one_warning(install):
    install(
        "dpzoo-clash",
        {GROUP: {"vae": "clash_plugin:Good", "clash-own": "clash_plugin:Good"}},
        {"clash_plugin": GOOD.format(api=registry.API_VERSION)},
    )
    emitted = plugin_warnings(lambda: registry.plugins("regularizer"))
    emitted += plugin_warnings(lambda: registry.get("regularizer", "vae"))
    assert emitted == [
        "regularizer 'vae' from dpzoo-clash is ignored: dpzoo already registers that name; rename it in its entry points"
    ]
    assert registry.info("regularizer", "vae").distribution == "dpzoo"
    assert registry.get("regularizer", "vae") is VAE
    assert registry.info("regularizer", "clash-own").distribution == "dpzoo-clash"


def test_plugin_targeting_the_current_api_loads_silently(install):
    install("dpzoo-current", {GROUP: {"current": "current_plugin:Good"}}, {"current_plugin": GOOD.format(api=registry.API_VERSION)})
    loaded: list[type] = []
    emitted = plugin_warnings(lambda: loaded.append(registry.get("regularizer", "current")))
    assert emitted == [] and issubclass(loaded[0], Regularizer)


@pytest.mark.parametrize(
    ("offset", "fix"),
    [(1, "upgrade dpzoo"), (-1, f"upgrade dpzoo-other-api to a release for plugin API {registry.API_VERSION}")],
)
def test_plugin_targeting_another_api_is_refused_with_the_side_to_upgrade(install, offset, fix):
    declared = registry.API_VERSION + offset
    install("dpzoo-other-api", {GROUP: {"other-api": "other_api_plugin:Good"}}, {"other_api_plugin": GOOD.format(api=declared)})
    emitted = plugin_warnings(lambda: registry.loadable("regularizer"))
    assert len(emitted) == 1
    assert f"regularizer 'other-api' from dpzoo-other-api 0.1.0 targets dpzoo plugin API {declared}," in emitted[0]
    assert emitted[0].endswith(f"; {fix}; skipped")
    with pytest.raises(PluginLoadError, match=f"provides API {registry.API_VERSION}"):
        registry.get("regularizer", "other-api")
    assert registry.get("regularizer", "vae") is VAE


def test_plugin_without_api_declaration_loads_with_one_warning(install):
    install("dpzoo-undeclared", {GROUP: {"undeclared": "undeclared_plugin:Plain"}}, {"undeclared_plugin": "from dpzoo.plugins.regularizers.vae import VAE as Plain"})
    emitted = plugin_warnings(lambda: registry.get("regularizer", "undeclared"))
    emitted += plugin_warnings(lambda: registry.get("regularizer", "undeclared"))
    assert registry.get("regularizer", "undeclared") is VAE
    assert len(emitted) == 1
    assert "regularizer 'undeclared' from dpzoo-undeclared 0.1.0 does not say which dpzoo plugin API" in emitted[0]
    assert f"`dpzoo_api = {registry.API_VERSION}` to undeclared_plugin:Plain" in emitted[0]


def test_builtins_need_no_api_declaration():
    registry.refresh()
    emitted = plugin_warnings(lambda: [registry.get("prior", "gaussian"), registry.get("prior", "decoupled"), registry.get("regularizer", "vae")])
    assert emitted == []
    assert not hasattr(VAE, "dpzoo_api")
