from __future__ import annotations

import pytest

from app.core.errors import TargetError
from app.core.inputs import json_kind, parse_header_text, parse_headers, parse_payload, parse_size


def test_payloads() -> None:
    assert parse_payload('{"a": [1, 2]}', "json") == {"a": [1, 2]}
    assert parse_payload("", "msgpack") == {}
    assert parse_payload("{not json", "text") == "{not json"
    with pytest.raises(TargetError, match=r"--payload is not valid JSON: .* line 1, column 2"):
        parse_payload("{not json", "json", "--payload")


def test_headers() -> None:
    assert parse_headers(["X-A: 1", "  ", "X-B:two:parts"]) == {"X-A": "1", "X-B": "two:parts"}
    with pytest.raises(TargetError, match="header 'nocolon' must be Name: value"):
        parse_headers(["nocolon"])


def test_header_text_splits_on_semicolons_and_newlines() -> None:
    assert parse_header_text("X-A: 1; X-B: 2\nX-C: 3;") == {"X-A": "1", "X-B": "2", "X-C": "3"}
    assert parse_header_text("") == {}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "null"),
        (True, "true/false"),
        (3, "a number"),
        (2.5, "a number"),
        ("x", "a string"),
        ([1], "a list"),
        ({"a": 1}, "an object"),
    ],
)
def test_json_kinds_as_errors_name_them(value: object, kind: str) -> None:
    assert json_kind(value) == kind


@pytest.mark.parametrize(
    ("text", "message"),
    [("big", "must be WIDTHxHEIGHT"), ("641x480", "must be even"), ("8x8", "16..4096")],
)
def test_sizes(text: str, message: str) -> None:
    assert parse_size("640X480") == (640, 480)
    with pytest.raises(TargetError, match=message):
        parse_size(text)
