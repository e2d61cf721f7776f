"""A worker's recorder: windows, Locust's request events, per-worker CSV files."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from app.core.events import Sample, StateChange
from app.load.recorder import LocustFeed, MessageFailed, Recorder, csv_path_of


class _Request:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def fire(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


class _Events:
    def __init__(self) -> None:
        self.request = _Request()


def test_each_measured_message_reaches_locust_once_with_its_outcome(tmp_path: Path) -> None:
    rec = Recorder("ws", "ws://x", str(tmp_path / "s.csv"))
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
    assert rec.take()["sessions"] == []  # the next window starts empty
    rec.close()
    csv_files = list(tmp_path.glob("s.*.csv"))
    assert len(csv_files) == 1 and len(csv_files[0].read_text().splitlines()) == 5


def test_each_worker_process_writes_its_own_csv() -> None:
    name = f"{socket.gethostname()}-{os.getpid()}"
    assert csv_path_of("/r/samples.csv") == f"/r/samples.{name}.csv"
    assert csv_path_of("/r/samples") == f"/r/samples.{name}.csv"
