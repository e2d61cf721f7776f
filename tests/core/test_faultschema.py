"""The one fault schema: its fields' metadata, and one-line errors for hostile values."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from app.core import faultschema
from app.core.faultschema import (
    FaultConfig,
    FaultParamError,
    describe,
    fault_fields,
    is_active,
    parse_text,
    parse_value,
    to_json,
    values_from_json,
    with_json,
    with_query,
)

FIELDS = {f.name: f for f in fault_fields()}
PROBABILITIES = [f.name for f in fault_fields() if f.unit == "probability"]


def test_every_field_carries_type_unit_bounds_and_help() -> None:
    for f in dataclasses.fields(FaultConfig):
        m = f.metadata
        assert m["type"] in (int, float), f.name
        assert isinstance(m["unit"], str), f.name
        low, high = m["bounds"]
        assert low == 0 and (high is None or high > low), f.name
        assert m["help"] and "\n" not in m["help"], f.name
    assert [f.name for f in fault_fields()] == [f.name for f in dataclasses.fields(FaultConfig)]


def test_the_schema_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        FaultConfig().drop = 1.0  # type: ignore[misc]  # the point: it must refuse


def test_a_field_not_declared_with_fault_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Careless(FaultConfig):
        plain: float = 0.0

    with pytest.raises(TypeError, match=r"Careless\.plain: declare every fault with fault"):
        fault_fields(Careless)


def test_text_values_parse_by_type() -> None:
    assert parse_text(FIELDS["latency_ms"], "12.5") == 12.5
    assert parse_text(FIELDS["disconnect_after"], "3") == 3
    assert isinstance(parse_text(FIELDS["disconnect_after"], "3"), int)
    assert parse_text(FIELDS["drop"], "1") == 1.0


HOSTILE_TEXT = [
    ("latency_ms", "-1", "latency_ms='-1' must not be negative"),
    ("drop", "1.5", "drop='1.5' must be between 0 and 1"),
    ("error_rate", "-0.1", "error_rate='-0.1' must be between 0 and 1"),
    ("frame_drop", "2", "frame_drop='2' must be between 0 and 1"),
    ("jitter_ms", "lots", "jitter_ms='lots' is not a number"),
    ("latency_ms", "nan", "latency_ms='nan' is not a finite number"),
    ("latency_ms", "inf", "latency_ms='inf' is not a finite number"),
    ("latency_ms", "1e400", "latency_ms='1e400' is not a finite number"),
    ("latency_ms", "1e12", "latency_ms='1e12' must be at most 3600000"),
    ("disconnect_after", "2.5", "disconnect_after='2.5' is not a whole number"),
    ("seed", "-3", "seed='-3' must not be negative"),
    ("stall_after", "", "stall_after='' is not a whole number"),
    ("drop", "0.1\n0.2", r"drop='0.1\n0.2' is not a number"),
]


@pytest.mark.parametrize(("name", "raw", "message"), HOSTILE_TEXT)
def test_hostile_text_values_get_one_line_naming_the_parameter(
    name: str, raw: str, message: str
) -> None:
    with pytest.raises(FaultParamError) as info:
        parse_text(FIELDS[name], raw)
    assert str(info.value) == f"fault parameter {message}"
    assert info.value.name == name


def test_a_long_hostile_value_is_quoted_short() -> None:
    with pytest.raises(FaultParamError) as info:
        parse_text(FIELDS["drop"], "x" * 10_000)
    assert len(str(info.value)) < 100 and "…" in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("drop", "0.5", "drop must be a number, not a string"),
        ("drop", True, "drop must be a number, not true/false"),
        ("drop", None, "drop must be a number, not null"),
        ("drop", [0.1], "drop must be a number, not a list"),
        ("drop", {"p": 1}, "drop must be a number, not an object"),
        ("drop", 3, "drop=3 must be between 0 and 1"),
        ("latency_ms", -5.5, "latency_ms=-5.5 must not be negative"),
        ("latency_ms", math.inf, "latency_ms=inf is not a finite number"),
        ("latency_ms", 10**400, f"latency_ms={str(10**400)[:39]}… is not a finite number"),
        (
            "disconnect_after",
            10**400,
            f"disconnect_after={str(10**400)[:39]}… must be at most 1000000000",
        ),
        ("disconnect_after", 2.5, "disconnect_after=2.5 must be a whole number"),
        ("seed", "7", "seed must be a whole number or null, not a string"),
    ],
)
def test_hostile_json_values_get_one_line_naming_the_parameter(
    name: str, value: object, message: str
) -> None:
    with pytest.raises(FaultParamError, match=r"^fault parameter ") as info:
        parse_value(FIELDS[name], value)
    assert str(info.value) == f"fault parameter {message}"


def test_json_values_take_their_fields_type() -> None:
    assert parse_value(FIELDS["disconnect_after"], 4.0) == 4
    assert isinstance(parse_value(FIELDS["disconnect_after"], 4.0), int)
    assert isinstance(parse_value(FIELDS["latency_ms"], 3), float)
    assert parse_value(FIELDS["seed"], None) is None  # null: no seed


def test_query_overrides_ignore_what_is_not_a_fault() -> None:
    base = FaultConfig(latency_ms=5)
    got = with_query(base, {"drop": "0.25", "max_buffering": "4", "fal_jwt_token": "x"})
    assert got == FaultConfig(latency_ms=5, drop=0.25)
    assert with_query(base, {"timings": "1"}) is base


def test_json_changes_refuse_unknown_names_in_one_line() -> None:
    with pytest.raises(FaultParamError) as info:
        with_json(FaultConfig(), {"latency": 1, "drop": 0.1, "bad\nname": 2})
    text = str(info.value)
    assert text.startswith("unknown fault parameter(s): 'bad\\nname', latency (known: latency_ms")
    assert "\n" not in text
    assert values_from_json({"latency": 1, "drop": 0.5}, strict=False) == {"drop": 0.5}


def test_json_round_trip_and_null_seed() -> None:
    config = FaultConfig(latency_ms=20, drop=0.1, disconnect_after=7, seed=3)
    assert with_json(FaultConfig(), to_json(config)) == config
    assert json.loads(json.dumps(to_json(config))) == to_json(config)
    assert with_json(config, {"seed": None}).seed is None


def test_active_means_a_fault_injects_something() -> None:
    assert not is_active(FaultConfig())
    assert not is_active(FaultConfig(seed=1, stall_after=5))  # they only shape faults
    for f in fault_fields():
        if f.injects:
            one = {f.name: 1 if f.type is int else 0.5}
            assert is_active(with_json(FaultConfig(), one)), f.name


def test_describe_lists_what_differs_from_a_clean_mock() -> None:
    assert describe(to_json(FaultConfig())) == "none"
    assert describe({"latency_ms": 30.0, "drop": 0.0, "stall_after": 1}) == "latency_ms=30.0"
    assert describe(to_json(FaultConfig(drop=0.1, seed=2))) == "drop=0.1, seed=2"


def test_module_schema_can_be_widened(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass(frozen=True)
    class Wider(FaultConfig):
        burst_ms: float = faultschema.fault(0.0, unit="ms", help="a fault from the future")

    monkeypatch.setattr(faultschema, "FaultConfig", Wider)
    assert fault_fields()[-1].name == "burst_ms"
    assert faultschema.fault_names()[:-1] == tuple(FIELDS)
