"""The form's settings and their session-file entry: thresholds go both ways, and
an older entry without them gives none."""

from __future__ import annotations

from app.core.sessionfile import ConnectionSpec, Session, dumps, loads
from app.gui.connection_settings import ConnectionSettings, from_spec, to_spec


def test_thresholds_round_trip_through_a_session_file() -> None:
    settings = ConnectionSettings(thresholds="p99<50ms; errors==0 ,")
    spec = to_spec(settings)
    assert spec.assertions == ["p99<50ms", "errors==0"]
    back = from_spec(loads(dumps(Session(connections=[spec]))).connections[0])
    assert back.thresholds == "p99<50ms, errors==0"


def test_what_is_not_an_assertion_is_not_saved() -> None:
    spec = to_spec(ConnectionSettings(thresholds="errors==0, fal-secret-key-123"))
    text = dumps(Session(connections=[spec]))
    assert "fal-secret-key-123" not in text
    assert from_spec(loads(text).connections[0]).thresholds == "errors==0"


def test_an_old_entry_has_no_thresholds() -> None:
    assert from_spec(ConnectionSpec(target="mock/echo")).thresholds == ""
