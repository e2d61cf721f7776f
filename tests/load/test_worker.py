"""One load-generating process against the real mock: users' sessions on the engine
loop, Locust told of every message, and a drain that accounts for all of them.

Locust itself is not imported here (it would monkey-patch this test process): the
environment is the few attributes a `WorkerSide` reads, with an event hook that keeps
what Locust's request event would receive.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from typing import Any

import gevent
import pytest

from app.core.errors import TargetError
from app.load import options
from app.load.recorder import MessageFailed
from app.load.worker import WorkerSide
from tests.load import needs_locust

needs_locust()  # gevent comes with Locust


@dataclass
class _Hook:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def fire(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@dataclass
class _Events:
    request: _Hook = field(default_factory=_Hook)


@dataclass
class _Environment:
    parsed_options: argparse.Namespace
    host: str | None = None
    events: _Events = field(default_factory=_Events)


def _environment(mock_url: str, *argv: str) -> _Environment:
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    opts = parser.parse_args(
        ["--transport", "ws", "--target", "mock/echo/ws", "--mock-url", mock_url, *argv]
    )
    return _Environment(opts)


def _wait_for(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        gevent.sleep(0.02)


def test_users_run_sessions_and_a_drain_accounts_for_every_message(mock_url: str) -> None:
    env = _environment(mock_url, "--rate", "100")
    side = WorkerSide(env)
    try:
        side.reset()
        users = [side.start_user() for _ in range(3)]
        assert users == [0, 1, 2]
        calls = env.events.request.calls
        _wait_for(lambda: len(calls) >= 60)
        first = side.take()
        assert first is not None and first["transport"] == "ws"
        window = side.drain()
        assert window is not None and side.recorder is None
        sent = sum(row[1] for w in (first, window) for row in w["sessions"])
        outcomes = [
            sum(row[k] for w in (first, window) for row in w["sessions"]) for k in (2, 3, 4, 5)
        ]
        assert sent == sum(outcomes) > 0  # sent = received + errored + dropped + timed out
        assert sorted({row[0] for row in window["sessions"]}) == [0, 1, 2]
        # Locust heard of each message but those cut by the stop, and of no failure else
        cut = sent - len(calls)  # timed out by the stop: rtprobe counts them, Locust not
        assert 0 <= cut <= outcomes[3]
        assert outcomes[0] == sum(1 for c in calls if c["exception"] is None)
        assert all(c["request_type"] == "ws" and c["response_time"] > 0 for c in calls)
        assert all(isinstance(c["exception"], MessageFailed | type(None)) for c in calls)
    finally:
        side.close()
    assert not side.engine.running


def test_a_second_transport_in_the_same_test_is_refused_in_one_line(mock_url: str) -> None:
    side = WorkerSide(_environment(mock_url, "--rate", "10"))
    try:
        side.reset()
        side.start_user()
        with pytest.raises(TargetError, match="one transport and target per test"):
            side.start_user("realtime")
        side.drain()
    finally:
        side.close()
