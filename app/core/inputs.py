"""What users type, read the same way in the CLI and the GUI: payloads, headers, sizes.
Each function raises TargetError with one line naming what was wrong."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from app.core.errors import TargetError


def parse_payload(text: str, fmt: str, where: str = "payload") -> Any:
    """JSON (for json/msgpack payloads) or the text as it is; empty JSON means {}."""
    if fmt == "text":
        return text
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise TargetError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:  # Python's parser gives up on very deep nesting
        raise TargetError(f"{where} is JSON nested too deeply to read") from None


def parse_headers(items: Iterable[str]) -> dict[str, str]:
    """`Name: value` items (blank ones skipped) into a dict."""
    out: dict[str, str] = {}
    for item in (i.strip() for i in items):
        if not item:
            continue
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise TargetError(f"header {item!r} must be Name: value")
        out[name.strip()] = value.strip()
    return out


def parse_header_text(text: str) -> dict[str, str]:
    """Headers typed on one line or several: `Name: value; Other: value`."""
    return parse_headers(text.replace("\n", ";").split(";"))


def json_kind(value: object) -> str:
    """What a JSON value is, in the words an error message uses ("a string", "null")."""
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return names.get(type(value), type(value).__name__)


def parse_size(text: str, what: str = "video size") -> tuple[int, int]:
    """`WIDTHxHEIGHT`, even and within 16..4096 (what video encoders accept)."""
    width, sep, height = text.strip().lower().partition("x")
    if not sep or not width.isdecimal() or not height.isdecimal():  # what int() reads
        raise TargetError(f"{what} {text!r} must be WIDTHxHEIGHT, e.g. 640x480")
    w, h = int(width), int(height)
    if not (16 <= w <= 4096 and 16 <= h <= 4096) or w % 2 or h % 2:
        raise TargetError(f"{what} {text.strip()}: width and height must be even, 16..4096")
    return w, h
