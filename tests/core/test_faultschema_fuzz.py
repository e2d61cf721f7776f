"""Fuzzing the fault schema's parsers: any flag text, query, JSON value or JSON object
of faults is accepted within bounds or refused with one FaultParamError line, and an
accepted configuration survives its own JSON."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

from app.core import faultschema
from app.core.faultschema import FaultConfig, FaultParamError, fault_fields, fault_names
from tests.support.fuzz import Target, define_tests, json_values, refused

FIELDS = st.sampled_from(fault_fields())
NUMBER_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["nan", "inf", "-inf", "1e309", "0x10", "1_000", " 5 ", "٣", "-0"]),
    st.integers(min_value=-(10**6), max_value=10**12).map(str),
    st.floats().map(repr),
    st.text(st.sampled_from("0123456789"), min_size=4000, max_size=5000),
)
VALUES = st.one_of(
    json_values(3),
    st.integers(min_value=-(2**70), max_value=2**1100),
    st.floats(),
)


def text_value(args: tuple[faultschema.FaultField, str]) -> None:
    f, raw = args
    with refused(FaultParamError):
        value = faultschema.parse_text(f, raw)
        assert isinstance(value, f.type)
        assert f.low is None or value >= f.low


def json_value(args: tuple[faultschema.FaultField, object]) -> None:
    f, raw = args
    with refused(FaultParamError):
        value = faultschema.parse_value(f, raw)
        assert value is None or isinstance(value, f.type)


def json_object(args: tuple[dict[str, Any], bool]) -> None:
    body, strict = args
    with refused(FaultParamError):
        values = faultschema.values_from_json(body, strict=strict)
        config = dataclasses.replace(FaultConfig(), **values)
        assert faultschema.with_json(FaultConfig(), faultschema.to_json(config)) == config


def query(params: dict[str, str]) -> None:
    with refused(FaultParamError):
        config = faultschema.with_query(FaultConfig(), params)
        assert faultschema.with_json(FaultConfig(), faultschema.to_json(config)) == config


NAMES = st.sampled_from(fault_names()) | st.text(max_size=6)
TARGETS = [
    Target("faultschema.parse_text", st.tuples(FIELDS, NUMBER_TEXT), text_value),
    Target("faultschema.parse_value", st.tuples(FIELDS, VALUES), json_value),
    Target(
        "faultschema.values_from_json",
        st.tuples(st.dictionaries(NAMES, VALUES, max_size=4), st.booleans()),
        json_object,
    ),
    Target("faultschema.with_query", st.dictionaries(NAMES, NUMBER_TEXT, max_size=4), query),
]
define_tests(TARGETS, globals())
