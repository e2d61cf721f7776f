"""What a run leaves in the history: settings without secrets, a valid state, and
every string the run's secrets could hide in masked."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from app.core.history import NewRun, new_run, settings_of
from app.core.history.record import MAX_PAYLOAD_CHARS
from tests.core.history.runs import SECRET, config, fed, record


def test_settings_blank_secret_headers_and_hold_no_key() -> None:
    s = settings_of(config())
    assert s["headers"] == {"Authorization": "", "X-Trace": "visible"}
    assert s["redacted_headers"] == ["Authorization"]
    assert s["has_key"] is True and SECRET not in repr(s)
    assert s["target"] == "ws://127.0.0.1:9/echo" and "webrtc" not in s


def test_payloads_too_large_or_binary_are_described() -> None:
    raw = dataclasses.replace(config(), payload=b"\x00" * 10)
    assert settings_of(raw)["payload"] == "<10 bytes>"
    big = dataclasses.replace(config(), payload={"x": "a" * MAX_PAYLOAD_CHARS})
    assert settings_of(big)["payload"].endswith("characters of JSON>")
    small = dataclasses.replace(config(), payload={"prompt": "hi"})
    assert settings_of(small)["payload"] == {"prompt": "hi"}


def test_a_secret_anywhere_in_the_run_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    other = "env-key-abcdefghijklmnop"
    monkeypatch.setenv("FAL_KEY", other)
    agg, timeline = fed(50, errors=5, error_text=f"echo: {SECRET} and {other}")
    cfg = dataclasses.replace(config(), payload={"token": f"Bearer {SECRET}"})
    run = new_run(
        agg,
        source="gui",
        state="failed",
        reason=f"bad key {other}",
        config=cfg,
        timeline=timeline,
    )
    text = repr(run.summary.to_json()) + repr(run.settings) + run.reason + run.target
    assert SECRET not in text and other not in text and "***" in run.reason
    assert list(run.summary.errors_by_message) == ["echo: *** and ***"]
    assert run.histograms["rtt"] is agg.rtt and run.series["sent"].sum() == 50


def test_a_record_refuses_what_the_store_could_not_show() -> None:
    run, _ = record(10)
    for change, says in (
        ({"state": "done"}, "is not one of finished, failed, stopped"),
        ({"source": "api"}, "is not one of cli, gui"),
        ({"started": datetime(2026, 1, 1)}, "timezone-aware"),
    ):
        with pytest.raises(ValueError, match=says):
            NewRun(**{**run.__dict__, **change})
