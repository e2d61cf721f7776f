"""Locust users that are rtprobe sessions: one user, one session, on the engine loop.

The session keeps its own schedule (closed loop, or open loop at `--rate` messages/s
per user with latency from the intended send time), so Locust's `wait_time` plays no
part: the user's one task waits, as a greenlet, until its run ends. Stopping the user
(`on_stop`, also when Locust kills it) stops its session, which times out what was in
flight. A session that ends by itself (it gave up reconnecting) leaves its user idle.

`TransportUser` takes `--transport`; the per-transport classes fix it, for locustfiles
of one's own (`from app.load.users import WsUser`). One test runs one transport and
target.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gevent
from locust import User, task

from app.load import plugin

IDLE_S = 1.0


class RtprobeUser(User):
    abstract = True
    transport: ClassVar[str | None] = None  # None: from --transport

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.index: int | None = None

    def on_start(self) -> None:
        self.index = plugin.worker_side(self.environment).start_user(self.transport)

    @task
    def session(self) -> None:
        if self.index is not None:  # returns at once once the session is over
            plugin.worker_side(self.environment).wait_user(self.index)
        gevent.sleep(IDLE_S)  # the session is over: nothing more to send

    def on_stop(self) -> None:
        if self.index is not None:
            plugin.worker_side(self.environment).stop_user(self.index)


class TransportUser(RtprobeUser):
    """The transport `--transport` names (the locustfile's user)."""


class RealtimeUser(RtprobeUser):
    transport = "realtime"


class WsUser(RtprobeUser):
    transport = "ws"


class SseUser(RtprobeUser):
    transport = "sse"


class WebRtcUser(RtprobeUser):
    transport = "webrtc"
