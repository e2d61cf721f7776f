"""The SSE session: each message is one streaming request, measured from request to
first event, between events, and to the end of the stream. Requests share one pooled
client; one that gets no response at all counts as a failed connect for the shared
reconnect policy (`sessions.base`), one that gets any response as progress.

Time limits (a stream that trickles forever must not hold the run): each request must
be complete within `--timeout` of its start, as a message's reply must over WebSocket;
in a `--duration` run no request is sent after the end, and one still streaming then
gets `END_GRACE_S` (never more than its own timeout) before it is cut; `stop` cuts
every stream at once. A cut request is a sample like any other: timed out, with the
events and bytes that had arrived, and an error line saying which limit cut it.

"connected" means the target answered: the first response that was not refused
(connection, TLS, auth, a gateway or a wrong URL), so a run that never reached its
target never says it was connected.
"""

from __future__ import annotations

import asyncio
import json

from app.core.codecs.sse import SseEvent
from app.core.config import RunConfig
from app.core.errors import AuthError, ConnectError, ProbeError, ProbeTimeout, TargetError
from app.core.events import (
    ErrorEvent,
    Message,
    Outcome,
    Sample,
    StateChange,
    capped_raw,
    now_ns,
)
from app.core.sessions.base import (
    Emit,
    Reconnect,
    deadline_of,
    more_to_send,
    sleep_until,
    takes_no_actions,
    wait_stopped,
)
from app.core.transports.sse import SseClient, StreamResult

END_GRACE_S = 1.0  # a duration run's streams still going at its end get this long
REFUSED = (AuthError, TargetError, ConnectError)  # a response that means "not reached"


class SseSession:
    def __init__(self, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event) -> None:
        self.index = index
        self.config = config
        self.emit = emit
        self.stop = stop
        self.count, self.rate = config.share(index)
        self.deadline = deadline_of(config)
        self.policy = Reconnect(index, config, emit, stop, self.deadline)
        self.unreached: ProbeError | None = None  # the last request got no response at all
        self.connected = False  # a response came that was not refused (see the docstring)
        # the time every stream still going is cut: the end of a duration run, plus grace
        self.cut_at_ns: int | None = None
        if self.deadline is not None:
            grace = min(END_GRACE_S, max(config.timeout_s, 0.001))
            self.cut_at_ns = self.deadline + int(grace * 1e9)

    async def act(self, what: str, value: object) -> None:
        raise takes_no_actions(self.config.transport, what)

    def client(self) -> SseClient:
        """The pooled client every request of this session goes through (tests swap it)."""
        cfg = self.config
        return SseClient(
            cfg.target,
            method=cfg.sse_method,
            headers=dict(cfg.headers),
            key=cfg.credentials.key,
            timeout_s=max(cfg.timeout_s, 0.001),
            deadline_s=max(cfg.timeout_s, 0.001),  # the whole stream, as a reply's timeout
            max_event_bytes=cfg.max_event_bytes,
            on_event=self._on_event if cfg.record_messages else None,
            on_stream=self._reached,
        )

    async def run(self) -> None:
        cfg = self.config
        payload = cfg.payload if cfg.sse_method == "POST" else None
        if payload is not None and not isinstance(payload, dict):
            raise TargetError("an SSE request body must be a JSON object")
        client = self.client()
        deadline = self.deadline
        interval_ns = int(1e9 / self.rate) if self.rate else 0
        self.emit(StateChange(self.index, now_ns(), "connecting"))
        in_flight: set[asyncio.Task[None]] = set()
        async with client:
            start, seq = now_ns(), 0
            while more_to_send(self.stop, self.count, seq, deadline):
                if self.unreached is not None:
                    if not await self.policy.retry(self.unreached):
                        break
                    self.unreached, self.connected = None, False
                    if not more_to_send(self.stop, self.count, seq, deadline):
                        break
                    self.emit(StateChange(self.index, now_ns(), "connecting"))
                if interval_ns:
                    intended = start + seq * interval_ns
                    if not await self._wait_for(intended):
                        break
                    task = asyncio.create_task(self._one(client, payload, seq, intended))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                else:
                    await self._one(client, payload, seq, None)
                seq += 1
            if in_flight:  # each ends by its own limits; the wait is only a backstop
                await asyncio.wait(in_flight, timeout=cfg.timeout_s + END_GRACE_S + 1)
                for task in in_flight:
                    task.cancel()
        if not self.policy.gave_up:
            self.emit(StateChange(self.index, now_ns(), "closed"))

    async def _wait_for(self, intended_ns: int) -> bool:
        """Sleep to an open-loop send time; False when the run ends or stops first."""
        if self.deadline is not None and intended_ns >= self.deadline:
            return False
        ahead_s = (intended_ns - now_ns()) / 1e9 - 0.002
        if ahead_s > 0 and await wait_stopped(self.stop, ahead_s):
            return False
        await sleep_until(intended_ns)
        return not self.stop.is_set()

    async def _one(
        self, client: SseClient, payload: dict | None, seq: int, intended: int | None
    ) -> None:
        """`intended` is the open-loop schedule; closed loop measures from the request."""
        if self.config.record_messages:
            size = len(json.dumps(payload)) if payload is not None else 0
            self.emit(Message(self.index, "out", now_ns(), "request", size, payload, seq))
        result = await client.request(payload, cut_at_ns=self.cut_at_ns, stop=self.stop)
        self._emit(result, seq, intended)

    def _emit(self, r: StreamResult, seq: int, intended: int | None) -> None:
        error = r.error
        outcome: Outcome = "received"
        if error is not None:
            outcome = "timed_out" if isinstance(error, ProbeTimeout) else "errored"
            self.emit(ErrorEvent(self.index, r.end_ns, type(error).__name__, str(error)))
            if isinstance(error, AuthError | TargetError):
                self.stop.set()  # every further request would fail the same way
        if r.status == 0 and isinstance(error, ConnectError):
            self.unreached = error
        elif r.status != 0:
            self.policy.progress()
            if not isinstance(error, REFUSED):
                self._reached()
        self.emit(
            Sample(
                session=self.index,
                seq=seq,
                outcome=outcome,
                intended_ns=r.start_ns if intended is None else intended,
                sent_ns=r.start_ns,
                done_ns=r.end_ns,
                bytes_in=r.bytes_in,
                warmup=seq < self.config.warmup,
                first_ns=r.first_event_ns,
                events=r.events,
                error=str(error) if error else "",
                gaps_ns=tuple(r.gaps_ns),
                backlogged=r.backlogged,
            )
        )

    def _reached(self) -> None:
        """A response that was not refused: "connected", once per connection."""
        if not self.connected:
            self.connected = True
            self.emit(StateChange(self.index, now_ns(), "connected"))

    def _on_event(self, event: SseEvent, arrival_ns: int) -> None:
        try:
            data: object = json.loads(event.data)
        except (ValueError, RecursionError):  # not JSON, or nested past what json reads
            data = event.data
        raw = capped_raw(event.data)  # the event's data lines, as the Hex tab shows them
        fields = sse_fields(event)
        self.emit(
            Message(self.index, "in", arrival_ns, "event", len(event.data), data, None, raw, fields)
        )


def sse_fields(event: SseEvent) -> dict[str, str | int] | None:
    """An event's fields besides its data, where set (a Message's `sse_fields`)."""
    if event.event == "message" and not event.id and event.retry is None:
        return None
    fields: dict[str, str | int] = {}
    if event.event != "message":
        fields["event"] = event.event
    if event.id:
        fields["id"] = event.id
    if event.retry is not None:
        fields["retry"] = event.retry
    return fields
