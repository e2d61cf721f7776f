"""Reply diffs, pure: shape and value, tolerance for floats, ignorable dotted paths."""

from __future__ import annotations

import msgpack
import pytest

from app.core.record.diff import Ignore, SseValue, Tolerance, decode_frame, diff


def paths(found: list) -> list[tuple[str, str]]:
    return [(d.path, d.what) for d in found]


def test_equal_values_have_no_difference() -> None:
    value = {"a": [1, 2.5, {"b": "x"}], "c": None, "d": b"\x00", "e": True}
    assert diff(value, {**value}) == []


def test_shape_and_value_changes_are_named_by_dotted_path() -> None:
    old = {"boxes": [{"score": 0.9, "label": "cat"}], "n": 1, "gone": 1, "kind": "a"}
    new = {"boxes": [{"score": 0.9, "label": "dog"}, {}], "n": "1", "new": 2, "kind": "a"}
    assert paths(diff(old, new)) == [
        ("boxes", "length"),
        ("boxes.0.label", "value"),
        ("n", "type"),
        ("gone", "missing"),
        ("new", "added"),
    ]
    lines = [d.line() for d in diff(old, new)]
    assert lines[1] == "boxes.0.label: 'cat' -> 'dog'"
    assert lines[2] == "n: number -> string"


def test_floats_within_tolerance_are_equal_ints_are_exact() -> None:
    assert paths(diff({"x": 1.0}, {"x": 1.0004})) == [("x", "value")]
    assert diff({"x": 1.0}, {"x": 1.0004}, Tolerance(0.001)) == []
    assert diff({"x": 100.0}, {"x": 100.9}, Tolerance.parse("1%")) == []
    assert paths(diff({"x": 100.0}, {"x": 102.0}, Tolerance.parse("1%"))) == [("x", "value")]
    assert paths(diff({"n": 1}, {"n": 2}, Tolerance(5))) == [("n", "value")]  # ints: exact
    assert diff({"x": float("nan")}, {"x": float("nan")}) == []
    assert paths(diff({"b": True}, {"b": 1})) == [("b", "type")]  # a bool is not a number


@pytest.mark.parametrize("bad", ["x", "-1", "nan", "inf", ""])
def test_a_bad_tolerance_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        Tolerance.parse(bad)


def test_ignored_fields_by_dotted_path_wildcard_or_bare_name() -> None:
    old = {"meta": {"t": 1, "id": "a"}, "items": [{"id": 1, "v": 1}], "deep": {"x": {"t": 5}}}
    new = {"meta": {"t": 2, "id": "b"}, "items": [{"id": 2, "v": 1}], "deep": {"x": {"t": 6}}}
    assert paths(diff(old, new, ignore=Ignore(["meta.t", "items.*.id", "t"]))) == [
        ("meta.id", "value")
    ]
    assert diff(old, new, ignore=Ignore(["meta", "items", "deep"])) == []  # a subtree
    assert paths(diff({"a": 1}, {"a": 1, "extra": 2}, ignore=Ignore(["extra"]))) == []


def test_frames_compare_as_what_they_decode_to() -> None:
    assert decode_frame(msgpack.packb({"a": 1})) == {"a": 1}
    assert decode_frame('{"a": 1}') == {"a": 1}
    assert decode_frame("plain") == "plain"
    assert decode_frame(b"\xc1") == b"\xc1"  # not msgpack: the bytes


def test_a_huge_reply_is_bounded() -> None:
    found = diff(list(range(10_000)), [x + 1 for x in range(10_000)])
    assert len(found) == 50


def test_sse_events_compare_their_data_type_and_id() -> None:
    old = [SseValue({"i": 0}, "tick", "0"), SseValue({"i": 1}, "tick", "1")]
    assert diff(old, list(old)) == []
    new = [SseValue({"i": 0}, "tock", "0"), SseValue({"i": 2}, "tick", "9")]
    assert paths(diff(old, new)) == [("0.<event>", "value"), ("1.i", "value"), ("1.<id>", "value")]
    assert diff(old, new)[0].line() == "0.<event>: 'tick' -> 'tock'"
    assert paths(diff(old, new, ignore=Ignore(["<id>", "<event>"]))) == [("1.i", "value")]
    assert SseValue.of(1, "message", None) == SseValue(1)  # the default type, no id
