"""Whatever JSON a server sends, the discovery readers end with a result or their own
one-line error, never another exception (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.core.discovery import asyncapi, openapi
from app.core.discovery.example import example
from app.core.discovery.validate import validate

KEYS = st.sampled_from(
    [
        "openapi",
        "paths",
        "post",
        "x-fal-protocol",
        "x-fal-realtime",
        "type",
        "config",
        "realtimeMode",
        "requestBody",
        "content",
        "application/json",
        "schema",
        "$ref",
        "properties",
        "required",
        "items",
        "anyOf",
        "allOf",
        "enum",
        "minimum",
        "default",
        "examples",
        "components",
        "schemas",
        "asyncapi",
        "messages",
        "operations",
        "/a",
    ]
)
LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
LEAVES |= st.sampled_from(["#/components/schemas/a", "#/", "realtime", "object", "3.1.0"])
JSON = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=40,
)


@given(JSON)
def test_openapi_reader_never_raises_anything_else(doc: Any) -> None:
    try:
        app = openapi.parse({"openapi": "3.1.0", "paths": {"/a": doc}, "components": doc})
    except openapi.DocumentError:
        return
    for route in app.routes:
        value = example(app.document, route.input_schema)
        assert isinstance(validate(app.document, route.input_schema, value), list)


@given(JSON, JSON)
def test_schema_tools_never_raise(schema: Any, value: Any) -> None:
    doc = {"components": {"schemas": {"a": schema}}}
    if isinstance(schema, dict):
        example(doc, schema)
        assert isinstance(validate(doc, schema, value), list)


@given(JSON)
def test_asyncapi_reader_never_raises_anything_else(doc: Any) -> None:
    asyncapi.parse({"asyncapi": "3.1.0", "components": {"messages": doc}, "operations": doc})
