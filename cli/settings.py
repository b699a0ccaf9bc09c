"""`--set A.B=VALUE` options, as `train` (recipe sections) and `eval` (metrics) take them."""

from __future__ import annotations

from dpzoo.errors import ConfigError


def parse_settings(items: list[str], form: str, example: str) -> dict[str, dict[str, str]]:
    """`--set a.b=value` → {a: {b: value}}; the values are checked by the configs they go to.

    `form` and `example` word the error for the command at hand (SECTION.FIELD=VALUE, regularizer.beta=5).
    """
    settings: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        head, dot, field = key.partition(".")
        if not sep or not dot or not head or not field:
            raise ConfigError(f"--set {item!r} is not {form} (e.g. --set {example})")
        settings.setdefault(head, {})[field] = value
    return settings
