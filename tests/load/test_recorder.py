"""A worker's recorder: windows with their seconds and samples, Locust's request events."""

from __future__ import annotations

from typing import Any

from app.core.events import Sample, StateChange
from app.load import samples
from app.load.recorder import LocustFeed, MessageFailed, Recorder


class _Request:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def fire(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


class _Events:
    def __init__(self) -> None:
        self.request = _Request()


def test_each_measured_message_reaches_locust_once_with_its_outcome() -> None:
    rec = Recorder("ws", "ws://x", keep_samples=True)
    emit = rec.emit_for(4)
    emit(StateChange(0, 1, "connected"))
    emit(Sample(0, 0, "received", 0, 10, 1_500_000, bytes_in=7))
    emit(Sample(0, 1, "errored", 0, 10, 2_000_000, error="boom"))
    emit(Sample(0, 2, "received", 0, 10, 1_000, warmup=True))
    rec.stopping.add(4)
    emit(Sample(0, 3, "timed_out", 0, 10, 9_000_000))  # cut by the user's stop
    events = _Events()
    assert LocustFeed(events).drain(rec) == 2
    ok, failed = events.request.calls
    assert (ok["response_time"], ok["response_length"], ok["exception"]) == (1.5, 7, None)
    assert isinstance(failed["exception"], MessageFailed)
    assert str(failed["exception"]) == "errored: boom"
    window = rec.take()
    assert window["sessions"] == [[4, 3, 1, 1, 0, 1, 1, 0, "connected"]]
    shipped = samples.decode(window["samples"], lambda i: i)
    assert [(x.session, x.seq, x.outcome, x.warmup) for x in shipped] == [
        (4, 0, "received", False),
        (4, 1, "errored", False),
        (4, 2, "received", True),
        (4, 3, "timed_out", False),
    ]
    assert shipped[1].error == "boom" and shipped[0].bytes_in == 7
    seconds = window["seconds"]  # the engine clock's second, as wall-clock seconds
    assert sum(row[1][0] for row in seconds) == 3  # sent, warm-up left out
    assert sum(w["rtt"]["n"] for _, _, w in seconds if "rtt" in w) == 1
    empty = rec.take()
    assert empty["sessions"] == [] and empty["seconds"] == []  # the next window is fresh
    assert empty["samples"]["n"] == 0
    rec.close()


def test_without_a_csv_no_sample_is_kept() -> None:
    rec = Recorder("ws", "ws://x")
    rec.emit_for(0)(Sample(0, 0, "received", 0, 10, 1_500_000))
    window = rec.take()
    assert "samples" not in window and len(window["seconds"]) == 1
