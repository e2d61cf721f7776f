"""Native threads for the libraries the engine loop runs (aiortc's video decoder)."""

from __future__ import annotations

import sys
import threading
import types

import pytest

from tests.load import needs_locust

needs_locust()  # gevent comes with Locust

from app.load import native  # noqa: E402  (gevent, after the skip)


def test_a_native_thread_runs_its_target_on_another_os_thread_and_joins() -> None:
    seen: list[int] = []
    queue = native.NATIVE_QUEUE.Queue()
    t = native.NATIVE_THREADING.Thread(
        target=lambda q: seen.append(threading.get_native_id()) or q.put("done"), args=(queue,)
    )
    t.start()
    assert queue.get(timeout=10) == "done"
    t.join(10)
    assert not t.is_alive() and seen and seen[0] != threading.get_native_id()


def test_the_flag_event_is_set_cleared_and_read() -> None:
    e = native.NATIVE_THREADING.Event()
    assert not e.is_set()
    e.set()
    assert e.is_set()
    e.clear()
    assert not e.is_set()


def test_loaded_threaded_modules_get_the_native_parts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("aiortc.rtcrtpreceiver")
    fake.threading = threading  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aiortc.rtcrtpreceiver", fake)
    assert native.patch_loaded() == ["aiortc.rtcrtpreceiver"]
    assert fake.threading is native.NATIVE_THREADING  # type: ignore[attr-defined]
    assert fake.queue is native.NATIVE_QUEUE  # type: ignore[attr-defined]
    assert native.patch_loaded() == []
