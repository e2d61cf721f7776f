"""Input validation shared by the mock apps: one-line reasons, like a schema validator."""

from __future__ import annotations

from typing import Any


class InvalidInput(ValueError):
    pass


def number(data: dict[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"field {name!r} must be a number, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise InvalidInput(f"field {name!r} must be between {lo:g} and {hi:g}, got {value!r}")
    return float(value)


def integer(data: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"field {name!r} must be an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise InvalidInput(f"field {name!r} must be between {lo} and {hi}, got {value!r}")
    return value
