"""Local `$ref`s (`#/components/schemas/Name`) in an OpenAPI or AsyncAPI document,
followed with a bound: a document is server-controlled, so a cycle or a chain of refs
must end in bounded time, never in a RecursionError."""

from __future__ import annotations

from typing import Any

MAX_REF_HOPS = 32  # refs followed in a row to reach a schema that is not a ref
MAX_DEPTH = 24  # nesting walked by the example builder and the validator


class SchemaError(ValueError):
    """A schema that cannot be used: a dangling or cyclic ref, an unknown pointer."""


def resolve(doc: dict[str, Any], schema: Any) -> dict[str, Any]:
    """`schema` with its `$ref` chain followed (local refs only); {} for a non-dict."""
    seen: list[str] = []
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if ref in seen or len(seen) >= MAX_REF_HOPS:
            raise SchemaError(f"$ref cycle: {' -> '.join([*seen, ref])[:200]}")
        seen.append(ref)
        schema = pointer(doc, ref)
    return schema if isinstance(schema, dict) else {}


def pointer(doc: dict[str, Any], ref: str) -> Any:
    """The value at a local JSON pointer (`#/a/b`), with `~0`/`~1` escapes."""
    if not ref.startswith("#/"):
        raise SchemaError(f"$ref {ref[:120]!r} is not local (only #/… refs are followed)")
    node: Any = doc
    for raw in ref[2:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise SchemaError(f"$ref {ref[:120]!r} points at nothing")
    return node


def obj(node: Any, key: str) -> dict[str, Any]:
    """`node[key]` when both are dicts, else {}: server documents may hold anything."""
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def seq(node: Any, key: str) -> list[Any]:
    """`node[key]` when it is a list, else []."""
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, list) else []


MAX_STEPS = 20_000  # schema nodes one example, check or scan may visit


class Budget:
    """Steps left for one walk over a schema: nesting and branching together can grow
    exponentially (an array of arrays of 8 items each, `allOf` of itself), so every
    walk is bounded in total work, not only in depth."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.left = steps

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise SchemaError(f"the schema is too complex (more than {MAX_STEPS} steps)")
