"""An example input built from a JSON schema, as a person would fill the form in:
every required field, and the optional fields the app gives an example for, each from
its `examples`/`example`, else its `default`, `const`, first `enum` value, else a
value of its type within its bounds. Bounded in depth (schemas may be recursive)."""

from __future__ import annotations

import math
from typing import Any

from app.core.discovery.refs import MAX_DEPTH, Budget, SchemaError, obj, resolve

_TYPE_ZERO: dict[str, Any] = {"string": "", "boolean": False, "null": None}


def example(doc: dict[str, Any], schema: dict[str, Any] | None) -> Any:
    """An example value for `schema` (refs into `doc`); {} when there is no schema.
    A $ref cycle in a required field is cut at MAX_DEPTH, not followed forever."""
    if schema is None:
        return {}
    try:
        return _value(doc, schema, 0, Budget())
    except SchemaError:
        return {}


def _value(doc: dict[str, Any], schema: Any, depth: int, budget: Budget) -> Any:
    budget.spend()
    s = resolve(doc, schema)
    for key in ("examples", "example"):
        if key in s:
            found = s[key]
            if key == "examples":
                if isinstance(found, list) and found:
                    return found[0]
                continue
            return found
    if "default" in s:
        return s["default"]
    if "const" in s:
        return s["const"]
    if isinstance(s.get("enum"), list) and s["enum"]:
        return s["enum"][0]
    if depth >= MAX_DEPTH:
        return None
    for key in ("anyOf", "oneOf"):
        branches = s.get(key)
        if isinstance(branches, list) and branches:
            usable = [b for b in branches if resolve(doc, b).get("type") != "null"] or branches
            return _value(doc, usable[0], depth + 1, budget)
    if isinstance(s.get("allOf"), list) and s["allOf"]:
        merged: dict[str, Any] = {}
        for branch in s["allOf"][:20]:
            part = _value(doc, branch, depth + 1, budget)
            if isinstance(part, dict):
                merged.update(part)
        return merged
    kind = s.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and isinstance(s.get("properties"), dict)):
        return _object(doc, s, depth, budget)
    if kind == "array":
        n = s.get("minItems")
        count = n if isinstance(n, int) and 0 < n <= 8 else 0
        return [_value(doc, s.get("items", {}), depth + 1, budget) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(s, kind)
    if kind == "string":
        n = s.get("minLength")
        return "x" * n if isinstance(n, int) and 0 < n <= 64 else ""
    return _TYPE_ZERO.get(str(kind))


def _object(doc: dict[str, Any], s: dict[str, Any], depth: int, budget: Budget) -> dict[str, Any]:
    props = obj(s, "properties")
    required = [r for r in s.get("required", []) if isinstance(r, str)]
    out: dict[str, Any] = {}
    for name, prop in list(props.items())[:200]:
        wanted = name in required
        if not wanted:
            sub = resolve(doc, prop)
            wanted = bool(sub.get("examples")) or "example" in sub
        if wanted:
            out[name] = _value(doc, prop, depth + 1, budget)
    for name in required:  # required yet not described: at least present
        out.setdefault(name, None)
    return out


def _number(s: dict[str, Any], kind: str) -> int | float:
    value: float = 0
    lo = s.get("minimum", s.get("exclusiveMinimum"))
    hi = s.get("maximum", s.get("exclusiveMaximum"))
    lo = lo if isinstance(lo, int | float) and math.isfinite(lo) else None
    hi = hi if isinstance(hi, int | float) and math.isfinite(hi) else None
    if isinstance(lo, int | float) and not isinstance(lo, bool):
        value = lo + (1 if "minimum" not in s else 0)
    elif isinstance(hi, int | float) and not isinstance(hi, bool) and hi < 0:
        value = hi - (1 if "maximum" not in s else 0)
    return int(value) if kind == "integer" else float(value)
