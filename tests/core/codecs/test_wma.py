"""fal's wma control messages and session bodies (app/core/codecs/wma.py): bytes in,
dicts out, no event loop; every refusal one line naming what was wrong."""

from __future__ import annotations

import json

import pytest

from app.core.codecs import wma


def test_actions_become_the_keys_they_hold() -> None:
    assert wma.action_keys("w u") == ["w"]
    assert wma.action_keys("q l") == ["l"]
    assert wma.action_keys("q u") == []
    assert wma.action_keys("up left i") == ["w", "a", "i"]
    first = wma.commands_for("w j", [])
    assert first == {"type": "commands", "active": ["w", "j"], "activated": ["w", "j"]}
    assert wma.commands_for("w l", ["w", "j"])["activated"] == ["l"]
    with pytest.raises(wma.WmaError, match="unknown action token 'x'"):
        wma.action_keys("w x")


def test_client_messages_round_trip_through_the_mocks_parser() -> None:
    for message in (
        wma.commands(["w"], ["w"]),
        wma.prompt("a red house"),
        wma.reset(),
        wma.ping(12.5),
    ):
        assert wma.parse_client(wma.encode(message)) == message


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"kind": "ping"}', "no string 'type'"),
        ('{"type": "dance"}', "unknown control message type"),
        ('{"type": "commands", "active": "w"}', "commands.active"),
        ('{"type": "commands", "active": ["z"]}', "not one of"),
        ('{"type": "prompt", "prompt": ""}', "prompt.prompt"),
        ('{"type": "ping", "ts": true}', "ping.ts"),
        ("x" * (wma.MAX_CONTROL_BYTES + 1), "over"),
        ("[" * 60_000, "not JSON"),
    ],
)
def test_bad_client_messages_are_one_line_errors(raw: str, says: str) -> None:
    with pytest.raises(wma.WmaError, match=says) as info:
        wma.parse_client(raw)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_server_messages() -> None:
    assert wma.parse_server(json.dumps(wma.pong(1.0, 2.0)))["client_ts"] == 1.0
    assert wma.parse_server(b'{"type": "stream_exhausted"}')["type"] == "stream_exhausted"
    assert wma.parse_server('{"type": "surprise", "x": 1}')["x"] == 1  # passed through
    with pytest.raises(wma.WmaError, match="numeric client_ts"):
        wma.parse_server('{"type": "pong", "client_ts": "now"}')


def test_offer_and_answer_bodies() -> None:
    body = wma.offer_body("v=0", session_id="s1")
    assert wma.parse_offer(body) == ("v=0", "s1")
    assert wma.parse_answer({"type": "answer", "sdp": "v=0", "session_id": "s"}) == ("v=0", "s")
    for bad, says in (
        ({"type": "offer"}, "no sdp"),
        ({"sdp": "v=0", "type": "answer"}, "type must be 'offer'"),
        ({"sdp": "v=0", "session_id": 3}, "session_id"),
        ({"sdp": "v=0", "ice_servers": {}}, "ice_servers"),
        ({"sdp": "v=0", "credential_age_seconds": -1}, "credential_age_seconds"),
        ("v=0", "JSON object"),
    ):
        with pytest.raises(wma.WmaError, match=says):
            wma.parse_offer(bad)
    for bad_answer, says in (
        ({"type": "error", "sdp": "v=0"}, "expected an answer"),
        ({"sdp": " "}, "no sdp"),
        ({"sdp": "v=0", "session_id": 1}, "session_id"),
        (42, "JSON object"),
    ):
        with pytest.raises(wma.WmaError, match=says):
            wma.parse_answer(bad_answer)


def test_flavour_and_urls_from_the_path() -> None:
    assert wma.flavour_of_path("/owner/app/start-session") == "wma"
    assert wma.flavour_of_path("/owner/app/session/") == "wma-rest"
    assert wma.flavour_of_path("/owner/app/webrtc") is None
    assert wma.session_urls("http://h/o/a/webrtc", "wma") == {"start": "http://h/o/a/start-session"}
    rest = wma.session_urls("http://h/o/a/session", "wma-rest")
    assert rest["heartbeat"] == "http://h/o/a/session/heartbeat"
    assert rest["close"] == "http://h/o/a/session/close"
