"""The honest end of a run, decided from event sequences as the engine emits them."""

from __future__ import annotations

from app.core.events import ErrorEvent, FrameSample, RunFinished, Sample, StateChange
from app.core.run_state import FinalState, RunTrail, judge


def _ok(seq: int, session: int = 0) -> Sample:
    return Sample(session, seq, "received", seq * 1000, seq * 1000, seq * 1000 + 400_000)


def _errored(seq: int, message: str = "app error INTERNAL_ERROR: boom") -> Sample:
    return Sample(0, seq, "errored", seq * 1000, seq * 1000, seq * 1000 + 10, error=message)


def test_a_good_run_finished() -> None:
    events = [StateChange(0, 1, "connected"), *(_ok(i) for i in range(5))]
    events += [StateChange(0, 9, "closed"), RunFinished(10, "done")]
    assert judge(events) == FinalState("finished") and judge(events).text == "finished"


def test_the_engines_error_fails_the_run() -> None:
    final = judge([RunFinished(1, "failed", "give a message count or a duration")])
    assert final == FinalState("failed", "give a message count or a duration")
    assert final.text == "failed: give a message count or a duration" and not final.ok


def test_a_refused_connect_fails_the_run_with_its_reason() -> None:
    refused = "ws://127.0.0.1:9/x: connection refused"
    events = [
        StateChange(0, 1, "connecting"),
        ErrorEvent(0, 2, "ConnectError", refused),
        StateChange(0, 3, "reconnecting"),
        ErrorEvent(0, 4, "ConnectError", refused),
        StateChange(0, 5, "failed", refused),
        RunFinished(6, "done"),
    ]
    assert judge(events) == FinalState("failed", refused)


def test_a_401_fails_the_run() -> None:
    why = "401 Unauthorized: missing or invalid 'Authorization: Key …' header"
    events = [ErrorEvent(0, 1, "AuthError", why), StateChange(0, 2, "failed", why)]
    assert judge([*events, RunFinished(3, "done")]) == FinalState("failed", why)


def test_one_failed_session_of_several_fails_the_run_and_says_how_many() -> None:
    events = [StateChange(0, 1, "connected"), _ok(1), StateChange(1, 2, "failed", "refused")]
    events += [StateChange(2, 2, "connected"), _ok(2, session=2), RunFinished(3, "done")]
    assert judge(events) == FinalState("failed", "1 of 3 sessions failed: refused")
    every = [StateChange(i, 1, "failed", "refused") for i in range(2)] + [RunFinished(2, "done")]
    assert judge(every) == FinalState("failed", "all 2 sessions failed: refused")


def test_all_messages_errored_fails_with_their_error() -> None:
    events = [StateChange(0, 1, "connected"), _errored(1), _errored(2, "other"), _errored(3)]
    final = judge([*events, RunFinished(9, "done")])
    assert final == FinalState("failed", "all 3 messages failed: app error INTERNAL_ERROR: boom")


def test_some_errors_still_finish() -> None:
    events = [StateChange(0, 1, "connected"), _ok(1), _errored(2), RunFinished(3, "done")]
    assert judge(events).state == "finished"


def test_nothing_sent_fails_with_the_newest_error_or_says_so() -> None:
    assert judge([RunFinished(1, "done")]) == FinalState("failed", "nothing was sent")
    events = [ErrorEvent(None, 1, "AppError", "no such app"), RunFinished(2, "done")]
    assert judge(events) == FinalState("failed", "no such app")


def test_frames_count_as_traffic_for_webrtc() -> None:
    events = [StateChange(0, 1, "connected"), FrameSample(0, "out", 2, 1)]
    events += [FrameSample(0, "in", 3, 1, latency_ns=5_000_000), RunFinished(4, "done")]
    assert judge(events, transport="webrtc").state == "finished"


def test_a_stop_is_stopped_even_with_errors_before() -> None:
    events = [StateChange(0, 1, "connected"), _errored(1), RunFinished(2, "stopped")]
    assert judge(events) == FinalState("stopped", "by the user")
    assert judge([RunFinished(1, "cancelled")]) == FinalState("stopped", "cancelled")


def test_live_state_words() -> None:
    trail = RunTrail()
    assert trail.live_state == "connecting"
    trail.feed(StateChange(0, 1, "connected"))
    assert trail.live_state == "running"
    trail.feed(StateChange(0, 2, "reconnecting"))
    assert trail.live_state == "reconnecting"
