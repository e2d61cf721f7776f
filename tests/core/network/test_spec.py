"""The toxic spec syntax and the API's JSON form: Toxiproxy's names, one-line errors."""

from __future__ import annotations

import pytest

from app.core.network.spec import format_spec, parse_spec, toxic_from_json
from app.core.network.toxics import (
    TOXIC_TYPES,
    Bandwidth,
    Latency,
    Slicer,
    Toxic,
    ToxicError,
    attribute_names,
)
from app.core.network.toxicset import ToxicConflict, ToxicMissing, ToxicSet


def test_toxiproxy_names_and_attributes() -> None:
    assert {k: attribute_names(k) for k in TOXIC_TYPES} == {
        "latency": ("latency", "jitter"),
        "bandwidth": ("rate",),
        "slicer": ("average_size", "size_variation", "delay"),
        "slow_close": ("delay",),
        "timeout": ("timeout",),
        "limit_data": ("bytes",),
        "reset_peer": ("timeout",),
    }


def test_compact_syntax() -> None:
    toxics = parse_spec("latency:latency=50,jitter=10; bandwidth:rate=100,stream=upstream")
    assert toxics == [
        Toxic("latency", Latency(50, 10), "downstream", 1.0, "latency_downstream"),
        Toxic("bandwidth", Bandwidth(100), "upstream", 1.0, "bandwidth_upstream"),
    ]
    both = parse_spec("latency:latency=5,stream=both,toxicity=0.5")
    assert [(t.name, t.stream, t.toxicity) for t in both] == [
        ("latency_upstream", "upstream", 0.5),
        ("latency_downstream", "downstream", 0.5),
    ]
    assert parse_spec("") == [] and parse_spec(" ; ") == []
    assert parse_spec("slow_close") == parse_spec("slow_close:delay=0")


def test_format_reads_back() -> None:
    toxics = parse_spec(
        "latency:latency=5,jitter=1,stream=both;slicer:average_size=10,toxicity=0.25,name=s"
    )
    assert parse_spec(format_spec(toxics)) == toxics


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("latncy:latency=5", "unknown toxic type 'latncy' (known: latency, bandwidth"),
        ("latency:latncy=5", "latency has no attribute 'latncy' (attributes: latency, jitter)"),
        ("latency:latency=fast", "latency latency='fast' is not a whole number"),
        ("latency:latency=-1", "latency latency='-1' must be 0.."),
        ("latency:latency=1.5", "is not a whole number"),
        ("bandwidth:rate", "'rate' is not KEY=VALUE"),
        ("bandwidth:rate=1,rate=2", "rate is given twice"),
        ("slicer:delay=5", "slicer needs average_size (bytes)"),
        ("slicer:average_size=0", "average_size='0' must be 1.."),
        ("latency:stream=sideways", "stream='sideways' must be upstream or downstream"),
        ("latency:toxicity=2", "toxicity='2' must be a number between 0 and 1"),
        ("latency:toxicity=nan", "must be a number between 0 and 1"),
        ("latency;latency", "toxic name 'latency_downstream' is used twice"),
        ("latency:name=a b", "name='a b' must be 1-64 letters"),
        ("x" * 5000, "longer than 4096 characters"),
    ],
)
def test_bad_spec_is_one_line_naming_the_field(spec: str, message: str) -> None:
    with pytest.raises(ToxicError) as info:
        parse_spec(spec)
    text = str(info.value)
    assert message in text and "\n" not in text


def test_json_form_and_updates_merge_attributes() -> None:
    t = toxic_from_json({"type": "slicer", "attributes": {"average_size": 64, "delay": 10}})
    assert t == Toxic("slicer", Slicer(64, 0, 10), "downstream", 1.0, "slicer_downstream")
    assert t.to_json() == {
        "name": "slicer_downstream",
        "type": "slicer",
        "stream": "downstream",
        "toxicity": 1.0,
        "attributes": {"average_size": 64, "size_variation": 0, "delay": 10},
    }
    u = toxic_from_json({"attributes": {"delay": 99}, "toxicity": 0.5}, base=t)
    assert u.attributes == Slicer(64, 0, 99) and u.toxicity == 0.5 and u.name == t.name
    for body, message in [
        ([], "toxic must be a JSON object"),
        ({}, "toxic needs a type"),
        ({"type": "latency", "colour": 1}, "toxic field 'colour' is unknown"),
        ({"type": "latency", "attributes": []}, "attributes must be a JSON object"),
        ({"type": "latency", "attributes": {"latency": True}}, "is not a whole number"),
        ({"type": "latency", "toxicity": "1"}, None),
    ]:
        if message is None:
            toxic_from_json(body)
            continue
        with pytest.raises(ToxicError, match=message):
            toxic_from_json(body)
    with pytest.raises(ToxicError, match="type cannot change"):
        toxic_from_json({"type": "bandwidth"}, base=t)


def test_toxic_set_add_update_remove_and_listeners() -> None:
    calls: list[int] = []
    s = ToxicSet()
    stop = s.listen(lambda: calls.append(len(s.toxics)))
    s.create({"type": "latency", "attributes": {"latency": 5}})
    with pytest.raises(ToxicConflict):
        s.create({"type": "latency"})
    s.update("latency_downstream", {"attributes": {"jitter": 1}})
    assert s.get("latency_downstream").attributes == Latency(5, 1)
    with pytest.raises(ToxicMissing):
        s.remove("nope")
    with pytest.raises(ToxicError, match="name cannot change"):
        s.update("latency_downstream", {"name": "other"})
    s.remove("latency_downstream")
    stop()
    s.create({"type": "timeout"})
    assert calls == [1, 1, 0]
