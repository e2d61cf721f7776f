"""Check a payload against the JSON-schema subset fal's apps publish (pydantic's
output): type, required, properties, additionalProperties: false, enum, const,
minimum/maximum (and exclusive), minLength/maxLength, items, minItems/maxItems,
anyOf/oneOf (oneOf read as anyOf), allOf, `nullable`, and local `$ref`s.

Small and pure rather than the `jsonschema` package: the GUI calls it on every
keystroke, the schemas come from a server (so refs are followed with a bound and
`pattern` is not run: a server's regex could take forever), and each problem must
read as one line naming the field (`width: 5000 is above the maximum 2048`).
"""

from __future__ import annotations

import json
from typing import Any

from app.core.discovery.refs import MAX_DEPTH, Budget, SchemaError, obj, resolve

MAX_ERRORS = 10


def validate(doc: dict[str, Any], schema: dict[str, Any] | None, value: Any) -> list[str]:
    """The problems of `value` against `schema` (refs into `doc`), at most MAX_ERRORS;
    [] when it fits (or there is no schema)."""
    if schema is None:
        return []
    errors: list[str] = []
    try:
        _check(doc, schema, value, "", errors, 0, Budget())
    except SchemaError as exc:
        return [f"the schema cannot be used: {exc}"]
    return errors[:MAX_ERRORS]


def _where(path: str) -> str:
    return path or "the payload"


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "null": value is None,
    }.get(kind, True)


def _check(
    doc: dict[str, Any],
    schema: Any,
    value: Any,
    path: str,
    errors: list[str],
    depth: int,
    budget: Budget,
) -> None:
    if len(errors) >= MAX_ERRORS or depth > MAX_DEPTH:
        return
    budget.spend()
    s = resolve(doc, schema)
    if value is None and s.get("nullable") is True:
        return
    if "const" in s and value != s["const"]:
        errors.append(f"{_where(path)} must be {_show(s['const'])}")
        return
    if isinstance(s.get("enum"), list) and value not in s["enum"]:
        choices = ", ".join(_show(v) for v in s["enum"][:8])
        errors.append(f"{_where(path)}: {_show(value)} is not one of {choices}")
        return
    kind = s.get("type")
    kinds = (
        [kind]
        if isinstance(kind, str)
        else [k for k in kind if isinstance(k, str)]
        if isinstance(kind, list)
        else []
    )
    if kinds and not any(_type_ok(k, value) for k in kinds):
        errors.append(f"{_where(path)} must be {' or '.join(kinds)}, got {_type_name(value)}")
        return
    for branch in s.get("allOf", [])[:20] if isinstance(s.get("allOf"), list) else []:
        _check(doc, branch, value, path, errors, depth + 1, budget)
    for key in ("anyOf", "oneOf"):
        branches = s.get(key)
        if isinstance(branches, list) and branches:
            _any_of(doc, branches[:20], value, path, errors, depth, budget)
    if isinstance(value, int | float) and not isinstance(value, bool):
        _bounds(s, value, path, errors)
    elif isinstance(value, str):
        _length(s, len(value), "characters", path, errors, "minLength", "maxLength")
    elif isinstance(value, list):
        _length(s, len(value), "items", path, errors, "minItems", "maxItems")
        if isinstance(s.get("items"), dict):
            for i, item in enumerate(value[:1000]):
                _check(doc, s["items"], item, f"{path}[{i}]", errors, depth + 1, budget)
    elif isinstance(value, dict):
        _object(doc, s, value, path, errors, depth, budget)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _any_of(
    doc: dict[str, Any],
    branches: list[Any],
    value: Any,
    path: str,
    errors: list[str],
    depth: int,
    budget: Budget,
) -> None:
    first: list[str] = []
    for branch in branches:
        found: list[str] = []
        _check(doc, branch, value, path, found, depth + 1, budget)
        if not found:
            return
        first = first or found
    errors.append(first[0] if len(branches) == 1 else f"{first[0]} (nor any other allowed form)")


def _bounds(s: dict[str, Any], value: float, path: str, errors: list[str]) -> None:
    def num(key: str) -> float | None:
        v = s.get(key)
        return v if isinstance(v, int | float) and not isinstance(v, bool) else None

    lo, hi, xlo, xhi = (
        num("minimum"),
        num("maximum"),
        num("exclusiveMinimum"),
        num("exclusiveMaximum"),
    )
    if lo is not None and value < lo:
        errors.append(f"{_where(path)}: {_show(value)} is below the minimum {lo:g}")
    elif hi is not None and value > hi:
        errors.append(f"{_where(path)}: {_show(value)} is above the maximum {hi:g}")
    elif xlo is not None and value <= xlo:
        errors.append(f"{_where(path)}: {_show(value)} must be above {xlo:g}")
    elif xhi is not None and value >= xhi:
        errors.append(f"{_where(path)}: {_show(value)} must be below {xhi:g}")


def _length(
    s: dict[str, Any], n: int, unit: str, path: str, errors: list[str], lo_key: str, hi_key: str
) -> None:
    lo, hi = s.get(lo_key), s.get(hi_key)
    if isinstance(lo, int) and n < lo:
        errors.append(f"{_where(path)} needs at least {lo} {unit}, has {n}")
    elif isinstance(hi, int) and n > hi:
        errors.append(f"{_where(path)} allows at most {hi} {unit}, has {n}")


def _object(
    doc: dict[str, Any],
    s: dict[str, Any],
    value: dict[str, Any],
    path: str,
    errors: list[str],
    depth: int,
    budget: Budget,
) -> None:
    props = obj(s, "properties")
    for name in s.get("required", [])[:200] if isinstance(s.get("required"), list) else []:
        if isinstance(name, str) and name not in value:
            errors.append(f"{_where(path)}: field {name!r} is required")
    for name, item in list(value.items())[:1000]:
        where = f"{path}.{name}" if path else str(name)
        if name in props:
            _check(doc, props[name], item, where, errors, depth + 1, budget)
        elif s.get("additionalProperties") is False:
            errors.append(f"{_where(path)}: field {name!r} is not allowed")
        elif isinstance(s.get("additionalProperties"), dict):
            _check(doc, s["additionalProperties"], item, where, errors, depth + 1, budget)
