"""Network presets and the custom profile syntax; their toxics for byte-stream runs."""

from __future__ import annotations

import pytest

from app.core.errors import TargetError
from app.core.network.impair import NetworkError
from app.core.network.profile import (
    PRESETS,
    describe,
    format_profile,
    parse_profile,
    to_toxics,
)
from app.core.network.runtarget import with_network
from app.core.targets import Target


def test_every_preset_parses_and_round_trips() -> None:
    for name, preset in PRESETS.items():
        parsed = parse_profile(name)
        assert parsed == preset
        again = parse_profile(format_profile(parsed))
        assert (again.up, again.down) == (preset.up, preset.down)
        assert describe(parsed)


def test_custom_profile_applies_both_ways_unless_prefixed() -> None:
    p = parse_profile("delay=100,jitter=20,loss=2%,rate=1000")
    for side in (p.up, p.down):
        assert (side.delay_ms, side.jitter_ms, side.loss, side.rate_kbps) == (100, 20, 0.02, 1000)
    q = parse_profile("4g,up.loss=5,down.rate=300")
    assert q.up.loss == 0.05 and q.down.loss == 0
    assert q.down.rate_kbps == 300 and q.up.rate_kbps == PRESETS["4g"].up.rate_kbps
    assert q.name == "4g+custom"


def test_empty_and_none_are_clean() -> None:
    assert parse_profile("").clean and parse_profile("none").clean


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("5g", "unknown network preset"),
        ("delay=abc", "not a number"),
        ("delay", "unknown network preset"),
        ("4g,speed=3", "unknown key"),
        ("4g,side.delay=3", "unknown key"),
        ("loss=150%", "loss"),
        ("delay=-5", "delay"),
        ("delay=nan", "not a number"),
        ("x" * 600, "longer than"),
    ],
)
def test_bad_profiles_are_one_line_errors(text: str, says: str) -> None:
    with pytest.raises(NetworkError) as info:
        parse_profile(text)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_profile_becomes_latency_then_bandwidth_toxics() -> None:
    toxics = to_toxics(parse_profile("up.delay=40,down.delay=60,jitter=5,rate=800,loss=3%"))
    by_name = {t.name: t for t in toxics}
    assert [t.type for t in toxics] == ["latency", "bandwidth", "latency", "bandwidth"]
    assert by_name["net_latency_upstream"].to_json()["attributes"]["latency"] == 40
    assert by_name["net_latency_downstream"].to_json()["attributes"]["latency"] == 60
    assert by_name["net_bandwidth_downstream"].to_json()["attributes"]["rate"] == 100  # KB/s
    assert to_toxics(parse_profile("loss=5%")) == []  # TCP: no loss toxic


def test_byte_stream_targets_carry_the_toxics_webrtc_does_not() -> None:
    ws = Target("ws", "ws://127.0.0.1:1/mock/echo?a=1")
    shaped = with_network(ws, "3g")
    assert "a=1" in shaped.url and "toxic=latency" in shaped.url
    rtc = Target("webrtc", "ws://127.0.0.1:1/mock/yolo/webrtc")
    assert with_network(rtc, "3g") == rtc
    assert with_network(ws, "none") == ws
    with pytest.raises(TargetError, match="--network"):
        with_network(ws, "bogus", "--network")


def test_a_session_file_keeps_the_network_of_a_connection() -> None:
    from app.core.sessionfile import ConnectionSpec, Session, dumps, loads

    text = dumps(Session(connections=[ConnectionSpec(transport="webrtc", network="4g,loss=2%")]))
    assert loads(text).connections[0].network == "4g,loss=2%"
