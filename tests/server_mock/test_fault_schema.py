"""The fault schema seen from every entry point: `rtprobe mock` flags, a connection's
query, `GET/PUT /_mock/faults` and session files. A field added to the schema shows up
in all of them; a hostile value is refused by each in one line."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from app import cli
from app.core import faultschema
from app.core.faultschema import FaultConfig, fault
from app.core.sessionfile import MockSpec, Session, SessionFileError, dumps, loads
from server_mock.faults import Faults
from tests.support.wsutil import refused


@dataclasses.dataclass(frozen=True)
class WiderFaults(FaultConfig):
    """The schema with one more fault, as a future change would add it."""

    burst_ms: float = fault(
        0.0, unit="ms", bounds=(0.0, 1000.0), help="a fault from the future", gui=True
    )


@pytest.fixture
def wider(monkeypatch: pytest.MonkeyPatch) -> type[WiderFaults]:
    monkeypatch.setattr(faultschema, "FaultConfig", WiderFaults)
    return WiderFaults


def _one_line(text: str) -> str:
    assert text.strip() and "\n" not in text.strip(), text
    return text


# -- a new field appears everywhere ------------------------------------------------------


def test_a_new_field_is_a_mock_flag(wider: type[WiderFaults], capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # help on one line per flag, whatever the terminal
    args = cli.build_parser().parse_args(["mock", "--burst-ms", "7", "--drop", "0.5"])
    assert cli._mock_config(args).faults == WiderFaults(burst_ms=7.0, drop=0.5)
    with pytest.raises(SystemExit) as info:
        cli.build_parser().parse_args(["mock", "--burst-ms", "2000"])
    assert info.value.code == 2
    err = _one_line(capsys.readouterr().err)
    assert "argument --burst-ms: '2000' must be at most 1000" in err
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["mock", "--help"])
    help_text = capsys.readouterr().out
    assert "--burst-ms MS" in help_text and "a fault from the future (ms; default 0)" in help_text


def test_a_new_field_is_a_query_parameter(wider: type[WiderFaults]) -> None:
    faults = Faults.for_session(lambda: WiderFaults(), {"burst_ms": "12", "drop": "0.1"})
    assert faults.config == WiderFaults(burst_ms=12.0, drop=0.1)
    with pytest.raises(ValueError, match="burst_ms='-1' must not be negative"):
        Faults.for_session(lambda: WiderFaults(), {"burst_ms": "-1"})


def test_a_new_field_is_a_session_file_key(wider: type[WiderFaults]) -> None:
    text = dumps(Session(mock=MockSpec(faults={"burst_ms": 4.0, "latency_ms": 1.0})))
    assert loads(text).mock.faults == {"latency_ms": 1.0, "burst_ms": 4.0}
    bad = '{"rtprobe_session": 1, "mock": {"faults": {"burst_ms": "soon"}}}'
    with pytest.raises(SessionFileError) as info:
        loads(bad, "s.json")
    assert str(info.value) == "s.json: mock.faults.burst_ms must be a number, not a string"


async def test_a_new_field_is_in_the_faults_json_and_the_query(
    wider: type[WiderFaults], start_mock
) -> None:
    with start_mock(faults=WiderFaults()) as base:
        async with httpx.AsyncClient(timeout=10) as client:
            got = (await client.get(f"{base}/_mock/faults")).json()
            assert got == {**faultschema.to_json(FaultConfig()), "burst_ms": 0.0}
            r = await client.put(f"{base}/_mock/faults", json={"burst_ms": 5})
            assert r.status_code == 200 and r.json()["burst_ms"] == 5.0
            r = await client.put(f"{base}/_mock/faults", json={"burst_ms": 5000})
            assert r.status_code == 400
            assert r.json()["detail"] == "fault parameter burst_ms=5000 must be at most 1000"
            r = await client.post(f"{base}/mock/echo/stream?burst_ms=x", json={})
            assert r.status_code == 400 and "burst_ms='x' is not a number" in r.json()["detail"]
        ws = base.replace("http", "ws")
        response = await refused(f"{ws}/mock/echo/realtime?burst_ms=-2")
        assert response.status_code == 400
        assert b"burst_ms='-2' must not be negative" in response.body


# -- hostile values, refused by every entry point in one line ----------------------------

HOSTILE = [
    ("drop", "2", "must be between 0 and 1"),
    ("error_rate", "-0.5", "must be between 0 and 1"),
    ("latency_ms", "-1", "must not be negative"),
    ("latency_ms", "nan", "is not a finite number"),
    ("jitter_ms", "abc", "is not a number"),
    ("disconnect_after", "1.5", "is not a whole number"),
]


@pytest.mark.parametrize(("name", "raw", "problem"), HOSTILE)
def test_hostile_flags(name: str, raw: str, problem: str, capsys) -> None:
    flag = "--" + name.replace("_", "-")
    with pytest.raises(SystemExit) as info:
        cli.build_parser().parse_args(["mock", flag, raw])
    assert info.value.code == 2
    err = _one_line(capsys.readouterr().err)
    assert f"argument {flag}: {raw!r} {problem}" in err


@pytest.mark.parametrize(("name", "raw", "problem"), HOSTILE)
async def test_hostile_query_parameters(
    name: str, raw: str, problem: str, ws_base: str, mock_base: str
) -> None:
    expected = f"fault parameter {name}={raw!r} {problem}"
    response = await refused(f"{ws_base}/mock/echo/ws?{name}={raw}")
    assert response.status_code == 400
    assert expected.encode() in response.body
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(f"{mock_base}/mock/echo/stream?{name}={raw}", json={})
    assert r.status_code == 400
    assert _one_line(r.json()["detail"]) == expected


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"drop": 2}, "fault parameter drop=2 must be between 0 and 1"),
        ({"drop": "0.5"}, "fault parameter drop must be a number, not a string"),
        ({"latency_ms": -1}, "fault parameter latency_ms=-1 must not be negative"),
        ({"latency_ms": None}, "fault parameter latency_ms must be a number, not null"),
        ({"disconnect_after": True}, "must be a whole number, not true/false"),
        ({"seed": [1]}, "fault parameter seed must be a whole number or null, not a list"),
        ({"latency": 1}, "unknown fault parameter(s): latency (known: latency_ms, "),
        ({"x\ny": 1}, "unknown fault parameter(s): 'x\\ny' (known: "),
        ({"latency_ms": 10**400}, "fault parameter latency_ms=1000000000000000000"),
        ({"latency_ms": 10**400}, "is not a finite number"),
        (["drop"], "request body must be a JSON object, got list"),
        ("{drop", "request body is not valid JSON"),
        ('{"drop": ' + "1" * 5000 + "}", "request body is not valid JSON"),
        ("[" * 100_000, "request body is not valid JSON"),
    ],
)
async def test_hostile_puts_change_nothing(start_mock, body: object, detail: str) -> None:
    with start_mock(faults=FaultConfig(latency_ms=3)) as base:
        async with httpx.AsyncClient(timeout=10) as client:
            if isinstance(body, str):
                r = await client.put(f"{base}/_mock/faults", content=body)
            else:
                r = await client.put(f"{base}/_mock/faults", json=body)
            assert r.status_code == 400
            assert detail in _one_line(r.json()["detail"])
            assert (await client.get(f"{base}/_mock/faults")).json()["latency_ms"] == 3
