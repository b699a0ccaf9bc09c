"""Dataclass configs to JSON and back, without loss and with clear errors.

Every plugin's config is a frozen dataclass; checkpoints store it as a plain dict in config.json.
Reading it back checks the keys, so a typo in a hand-edited config or a `--set` override fails with
the list of valid fields instead of being ignored.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_dict(config: Any) -> dict[str, Any]:
    """JSON-native values only (tuples become lists), so JSON and YAML round trips are exact."""
    return _plain(dataclasses.asdict(config))


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Turn JSON values (lists, strings from the command line) into the field's declared type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        if value is None and type(None) in args:
            return None
        last: Exception | None = None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, where)
            except ConfigError as exc:
                last = exc
        raise last or ConfigError(f"{where}: cannot use {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where} must be one of {', '.join(map(repr, args))}, not {value!r}")
        return value
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list, not {value!r}")
        inner = args[0] if args else Any
        items = [_coerce(v, inner, where) for v in value]
        return tuple(items) if origin is tuple else items
    if annotation is bool:
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if annotation in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        try:
            number = annotation(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, not {value!r}") from None
        if annotation is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{where} must be an integer, not {value!r}")
        return number
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {value!r}")
        return value
    return value


def from_dict(cls: type[T], data: dict[str, Any] | None, where: str = "config") -> T:
    """Build the dataclass `cls` from `data`, rejecting unknown keys and ill-typed values."""
    data = dict(data or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where} has no field {', '.join(map(repr, unknown))}; valid fields: {', '.join(fields) or 'none'}"
        )
    hints = typing.get_type_hints(cls)
    values = {k: _coerce(v, hints[k], f"{where}.{k}") for k, v in data.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def replace(config: T, overrides: dict[str, Any], where: str = "config") -> T:
    """A copy of `config` with string or JSON overrides applied through the same checks."""
    merged = {**to_dict(config), **overrides}
    return from_dict(type(config), merged, where)
