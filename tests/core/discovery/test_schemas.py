"""Example payloads from schemas and the validator behind the GUI's payload editor:
the subset fal's apps publish, one line per problem, bounded on hostile schemas."""

from __future__ import annotations

from typing import Any

from app.core.discovery.example import example
from app.core.discovery.refs import MAX_REF_HOPS
from app.core.discovery.validate import validate

DOC: dict[str, Any] = {
    "components": {
        "schemas": {
            "Size": {"type": "string", "enum": ["square", "portrait"]},
            "Image": {
                "type": "object",
                "properties": {"url": {"type": "string", "minLength": 3}},
                "required": ["url"],
            },
            "Input": {
                "type": "object",
                "properties": {
                    "prompt": {"type": "string", "examples": ["a fox"]},
                    "steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 8},
                    "size": {"$ref": "#/components/schemas/Size"},
                    "strength": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    "seed": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                    "images": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Image"},
                        "minItems": 1,
                    },
                    "extra": {"allOf": [{"$ref": "#/components/schemas/Image"}]},
                },
                "required": ["prompt", "size", "images", "strength"],
                "additionalProperties": False,
            },
        }
    }
}
INPUT = {"$ref": "#/components/schemas/Input"}


def test_example_fills_required_fields_from_examples_enums_bounds_and_items() -> None:
    value = example(DOC, INPUT)
    assert value == {
        "prompt": "a fox",
        "size": "square",
        "images": [{"url": "xxx"}],
        "strength": 1.0,
    }
    assert validate(DOC, INPUT, value) == []  # what it builds, it accepts


def test_validator_names_each_problem_in_one_line() -> None:
    bad = {
        "prompt": 3,
        "size": "wide",
        "steps": 99,
        "images": [{}],
        "seed": "x",
        "what": 1,
        "strength": 0,
    }
    errors = validate(DOC, INPUT, bad)
    assert "prompt must be string, got integer" in errors
    assert any(e.startswith('size: "wide" is not one of "square", "portrait"') for e in errors)
    assert "steps: 99 is above the maximum 50" in errors
    assert "images[0]: field 'url' is required" in errors
    assert any(e.startswith("seed must be integer") for e in errors)
    assert "the payload: field 'what' is not allowed" in errors
    assert "strength: 0 must be above 0" in errors
    assert all("\n" not in e for e in errors)
    assert validate(DOC, INPUT, [1]) == ["the payload must be object, got array"]
    assert validate(DOC, INPUT, {"prompt": "p", "size": "square", "strength": 1}) == [
        "the payload: field 'images' is required"
    ]
    assert validate(DOC, {"type": "boolean"}, 1) == ["the payload must be boolean, got integer"]
    assert validate(DOC, {"type": "integer"}, True)  # a bool is not a number here either


def test_ref_cycles_and_deep_schemas_end_in_bounded_time() -> None:
    doc: dict[str, Any] = {
        "components": {
            "schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"$ref": "#/components/schemas/A"},
            }
        }
    }
    a = {"$ref": "#/components/schemas/A"}
    assert example(doc, a) == {}
    assert validate(doc, a, {})[0].startswith("the schema cannot be used: $ref cycle")
    # a long chain is cut too
    chain = {f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(200)}
    doc = {"components": {"schemas": chain}}
    assert "cycle" in validate(doc, {"$ref": "#/components/schemas/S0"}, 1)[0]
    assert MAX_REF_HOPS < 200
    # a self-nesting object (a tree): required all the way down, cut at the depth bound
    tree = {
        "type": "object",
        "properties": {"child": {"$ref": "#/components/schemas/T"}},
        "required": ["child"],
    }
    doc = {"components": {"schemas": {"T": tree}}}
    value = example(doc, {"$ref": "#/components/schemas/T"})
    depth = 0
    while isinstance(value, dict):
        value, depth = value["child"], depth + 1
    assert 10 < depth < 100
    deep: Any = {}
    for _ in range(500):
        deep = {"child": deep}
    assert isinstance(validate(doc, {"$ref": "#/components/schemas/T"}, deep), list)
    assert validate(doc, {"$ref": "http://elsewhere/x"}, 1)[0].endswith("are followed)")


def test_schemas_that_branch_exponentially_are_cut_by_a_step_budget() -> None:
    from app.core.discovery import openapi

    ref = {"$ref": "#/components/schemas/T"}
    arrays = {"type": "array", "minItems": 8, "items": ref}  # 8**24 items if followed
    doc: dict[str, Any] = {"components": {"schemas": {"T": arrays}}}
    assert example(doc, ref) == {}  # given up, not built
    doc = {"components": {"schemas": {"T": {"allOf": [ref] * 20, "anyOf": [ref] * 20}}}}
    assert "too complex" in validate(doc, ref, {})[0]
    doc = {
        "openapi": "3.1.0",
        "paths": {
            "/r": {
                "x-fal-protocol": {"type": "realtime"},
                "post": {"requestBody": {"content": {"application/json": {"schema": ref}}}},
            }
        },
        "components": {"schemas": {"T": {"anyOf": [ref] * 50}}},
    }
    (route,) = openapi.parse(doc).routes
    assert route.transport == "realtime" and "too complex" in " ".join(route.notes)


def test_infinite_bounds_do_not_break_the_example() -> None:
    assert example({}, {"type": "integer", "minimum": float("inf")}) == 0
    assert example({}, {"type": "number", "maximum": float("-inf")}) == 0.0
