"""The Redactor: one choke point that masks a run's secrets in every event it emits."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from app.core import redact as redaction
from app.core.codecs.fal_frames import FalError
from app.core.errors import AppError, ClosedError
from app.core.events import (
    ErrorEvent,
    Event,
    FrameSample,
    Message,
    RunFinished,
    Sample,
    StateChange,
    StatsSnapshot,
)
from app.core.redact import Redactor, is_secret_header

KEY = "my-id:mysecretpart0123456"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Authorization", True),
        ("proxy-authorization", True),
        ("Cookie", True),
        ("X-Fal-Key", True),
        ("X-Session-Token", True),
        ("X-Client-Secret", True),
        ("X-Password", True),
        ("Content-Type", False),
        ("X-Request-Id", False),
    ],
)
def test_which_headers_are_secret(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret


def test_for_run_knows_the_key_its_halves_and_secret_header_values() -> None:
    r = Redactor.for_run(KEY, {"X-Api-Token": "tok-0123456789", "Accept": "text/plain"})
    text = r.text(f"Key {KEY} / mysecretpart0123456 / tok-0123456789 / text/plain")
    assert "mysecretpart" not in text and "tok-0123456789" not in text
    assert "text/plain" in text  # not a secret header: left alone


def test_a_bearer_value_masks_its_credential_alone_and_url_encoded_forms() -> None:
    r = Redactor.for_run(None, {"Authorization": "Bearer abcdefgh12345678"})
    assert r.text("token abcdefgh12345678 again") == "token *** again"
    r.add("a:b/c=d+efghij")
    assert r.text("q=a%3Ab%2Fc%3Dd%2Befghij") == "q=***"


def test_without_secrets_events_pass_unchanged() -> None:
    r = Redactor()
    event = ErrorEvent(0, 1, "AppError", f"app error: {KEY}")
    assert not r and r.event(event) is event


def _events() -> list[Event]:
    frame = FalError("INTERNAL", f"reason Key {KEY}", 10)
    return [
        Sample(0, 1, "errored", 1, 2, 3, error=f"closed: {KEY}"),
        ErrorEvent(0, 1, "AuthError", f"HTTP 401: Authorization: Key {KEY}"),
        RunFinished(1, "failed", f"bad {KEY}"),
        StateChange(0, 1, "failed", f"1011 {KEY}"),
        Message(0, "in", 1, "x-fal-error", 10, frame),
        Message(0, "in", 1, "text", 10, {"payload": [f"{KEY}", (KEY.encode(),)]}),
        StatsSnapshot(0, 1, {"subprotocol": KEY, "extensions": [KEY]}),
    ]


def test_every_kind_of_event_text_is_masked() -> None:
    r = Redactor([KEY])
    for event in _events():
        masked = r.event(event)
        assert type(masked) is type(event)
        assert "mysecretpart" not in repr(masked), masked
        assert "***" in repr(masked)


def test_events_without_text_are_the_same_object() -> None:
    r = Redactor([KEY])
    for event in (FrameSample(0, "in", 1), Sample(0, 1, "received", 1, 2, 3)):
        assert r.event(event) is event


def test_a_dataclass_with_fields_outside_init_is_kept_as_is() -> None:
    @dataclass
    class Odd:
        text: str

    assert Redactor([KEY]).value(Odd(f"x {KEY}")) == Odd("x ***")


def test_raised_errors_are_masked_in_place() -> None:
    r = Redactor([KEY])
    closed = r.exception(ClosedError(f"closed with reason {KEY}", 1011))
    assert str(closed) == "closed with reason ***" and closed.code == 1011  # type: ignore[attr-defined]
    app = r.exception(AppError("INTERNAL", f"Key {KEY}"))
    assert isinstance(app, AppError) and KEY not in str(app) and KEY not in app.reason


def test_emit_wraps_a_sink() -> None:
    got: list[Event] = []
    Redactor([KEY]).emit(got.append)(ErrorEvent(None, 1, "X", KEY))
    assert got == [ErrorEvent(None, 1, "X", "***")]


async def test_register_adds_to_the_active_run_and_its_tasks_only() -> None:
    r = Redactor()
    redaction.register("outside-any-run-123")  # nothing active: nothing happens, no error
    with redaction.active(r):

        async def fetch() -> None:
            redaction.register("token-in-a-task-123")

        await asyncio.ensure_future(fetch())
    redaction.register("after-the-run-12345")
    assert r.text("token-in-a-task-123 after-the-run-12345") == "*** after-the-run-12345"


def test_a_frame_holding_a_secret_is_withheld_not_masked() -> None:
    """Masking inside a msgpack frame would break its lengths: the frame goes, the
    decoded data is masked as ever, and a frame without a secret stays as it was."""
    import msgpack

    r = Redactor([KEY])
    echoed = {"echo": f"Key {KEY}"}
    leaked = Message(0, "in", 1, "output", 40, echoed, raw=msgpack.packb(echoed))
    masked = r.event(leaked)
    assert isinstance(masked, Message) and masked.raw is None
    assert masked.data == {"echo": "Key ***"}
    half = Message(0, "in", 1, "text", 30, "x", raw='{"k": "mysecretpart0123456"}')
    assert r.event(half).raw is None  # the secret half of an id:secret key, in text
    clean = Message(0, "out", 1, "input", 9, {"a": 1}, raw=b"\x81\xa1a\x01")
    assert r.event(clean) is clean


def test_an_sse_events_other_fields_are_masked_too() -> None:
    r = Redactor([KEY])
    event = Message(0, "in", 1, "event", 1, "x", raw="x", sse_fields={"id": f"t-{KEY}", "retry": 5})
    masked = r.event(event)
    assert isinstance(masked, Message) and masked.sse_fields == {"id": "t-***", "retry": 5}
    clean = Message(0, "in", 1, "event", 1, "x", raw="x", sse_fields={"event": "tick"})
    assert r.event(clean) is clean


def test_a_cut_frame_ending_in_the_start_of_a_secret_is_withheld() -> None:
    from app.core.events import RAW_CAP, capped_raw

    r = Redactor([KEY])
    frame = b"x" * (RAW_CAP - 6) + KEY.encode()  # the cut falls inside the key
    kept = capped_raw(frame)
    assert kept is not None and len(kept) == RAW_CAP and KEY.encode() not in kept
    assert r.event(Message(0, "in", 1, "binary", len(frame), None, raw=kept)).raw is None
    short = b"y" * 100
    assert capped_raw(short) is short  # short frames are kept as they are, not copied
    plain = capped_raw(b"z" * (RAW_CAP + 10))
    assert r.event(Message(0, "in", 1, "binary", RAW_CAP + 10, None, raw=plain)).raw == plain
