"""The message session shared by realtime and raw WebSocket: send on a schedule, match
replies, reconnect (the shared policy of `sessions.base`), and account for every message:
sent = received + errored + dropped + timed_out, per session.

Every frame that arrives is accounted for too: a reply (or an error frame) that ends a
message travels in that message's Sample, with its bytes; every other frame (a reply
that matched nothing, fal's notices, an error with nothing pending) goes into a tally
that is sent as one `Unmatched` event per expiry tick and at the end of a connection,
so a flood costs the event stream a few events a second, not one per frame.

A frame the transport cannot decode arrives as a reply carrying a ProtocolError: it is
an error event and, as fal apps answer in order, ends the oldest pending message as
errored instead of leaving it to wait out `--timeout`.

It talks to a `MessageClient` only, opened by a `Connect` function; `sessions.realtime` and
`sessions.ws` give the two real ones, tests give an in-memory one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from app.core.config import RunConfig
from app.core.errors import ClosedError, ProbeError
from app.core.events import (
    ErrorEvent,
    Message,
    Sample,
    StateChange,
    StatsSnapshot,
    Unmatched,
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
)
from app.core.sessions.matcher import Matcher, Pending, Resolved
from app.core.sessions.network_control import network_act
from app.core.transports.base import MessageClient, Reply

Connect = Callable[[], Awaitable[MessageClient]]


class MessageSession:
    def __init__(
        self, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event, connect: Connect
    ) -> None:
        self.index = index
        self.config = config
        self.connect = connect
        self.emit = emit
        self.client: MessageClient | None = None  # the connection while it is up
        self.stop = stop
        self.count, self.rate = config.share(index)
        self.matcher = Matcher(ordered=config.ordered)
        self.timeout_ns = int(config.timeout_s * 1e9)
        self._waiter: asyncio.Future[None] | None = None  # woken when nothing is in flight
        self.seq = 0
        self.replies = 0  # frames received, in all: a connection that got one made progress
        self.ending = False  # the server announced it will close this connection
        self._tallied = dict(self.matcher.unmatched_by)  # unmatched already sent as events
        self._untallied_bytes = 0  # bytes of frames no Sample carries, not yet sent

    # -- bookkeeping ---------------------------------------------------------------
    def _emit_resolved(self, items: list[Resolved], reply: Reply | None = None) -> None:
        """One Sample per resolved message; `reply` answered the last of them (the others
        were dropped on its evidence) and its bytes and server time go with that one."""
        for i, r in enumerate(items):
            p = r.pending
            got = reply is not None and i == len(items) - 1
            self.emit(
                Sample(
                    session=self.index,
                    seq=p.seq,
                    outcome=r.outcome,
                    intended_ns=p.intended_ns,
                    sent_ns=p.sent_ns,
                    done_ns=r.done_ns,
                    bytes_out=p.bytes_out,
                    bytes_in=reply.size if got and reply else 0,
                    server_ns=reply.server_ns if got and reply else None,
                    warmup=p.warmup,
                    error=r.error,
                )
            )
        if not self.matcher.in_flight:
            self._wake()

    def _answer(self, items: list[Resolved], reply: Reply) -> None:
        """A frame that ended messages goes with them; one that ended none, in the tally."""
        if items:
            self._emit_resolved(items, reply)
        else:
            self._untallied_bytes += reply.size

    def _flush_tally(self) -> None:
        """Send what arrived unmatched since the last tally, if anything did."""
        now = self.matcher.unmatched_by
        reasons = {k: n - self._tallied[k] for k, n in now.items() if n > self._tallied[k]}
        if not reasons and not self._untallied_bytes:
            return
        self.emit(Unmatched(self.index, now_ns(), reasons, self._untallied_bytes))
        self._tallied = dict(now)
        self._untallied_bytes = 0

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait_idle(self, timeout_s: float | None = None) -> None:
        """Until nothing is in flight or the receiver ends (a cheap future, not asyncio.wait:
        this sits on every closed-loop round trip)."""
        if not self.matcher.in_flight:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        if timeout_s is None:
            await self._waiter
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._waiter, timeout_s)

    def _phase_ns(self) -> int:
        """Where in each send interval this session sends: session k of C at k/C of it,
        so an open-loop run sends evenly instead of C messages at once each interval."""
        if not self.rate:
            return 0
        return int(1e9 / self.rate) * self.index // max(1, self.config.concurrency)

    def _first_send_ns(self, connected_ns: int) -> int:
        """The schedule's first slot: the first time at or after the connection that is
        this session's phase on a grid all sessions share (the clock's own origin, so
        no session needs another's start). Each session starts when it has connected,
        so set-up is no send lag (it was 30 ms of catch-up at the start of 50 sessions);
        on the shared grid their sends interleave evenly wherever each connected (a
        phase counted from each session's own connect time clumped sends together:
        connections finish milliseconds apart, and at 8,000 msg/s the slots are 125 µs)."""
        if not self.rate:
            return connected_ns
        interval = int(1e9 / self.rate)
        return connected_ns + (self._phase_ns() - connected_ns) % interval

    def _more(self, deadline_ns: int | None) -> bool:
        return more_to_send(self.stop, self.count, self.seq, deadline_ns)

    @property
    def connected(self) -> bool:
        return self.client is not None

    async def act(self, what: str, value: object) -> None:
        """Only `mock_network`: the rtprobe mock's side of this connection alone (its id
        from the handshake's `x-rtprobe-session`), as for WebRTC."""
        if what != "mock_network":
            raise takes_no_actions(self.config.transport, what)
        await network_act(self, what, value)

    # -- the loops -----------------------------------------------------------------
    async def run(self) -> None:
        deadline = deadline_of(self.config)
        policy = Reconnect(self.index, self.config, self.emit, self.stop, deadline)
        start: int | None = None  # the send schedule's origin: set at the first connection
        self.emit(StateChange(self.index, now_ns(), "connecting"))
        while self._more(deadline):
            try:
                client = await self.connect()
            except ProbeError as exc:
                self.emit(ErrorEvent(self.index, now_ns(), type(exc).__name__, str(exc)))
                if not await policy.retry(exc):
                    break
                self.emit(StateChange(self.index, now_ns(), "connecting"))
                continue
            self.emit(StateChange(self.index, now_ns(), "connected"))
            self.emit(StatsSnapshot(self.index, now_ns(), dict(client.info)))
            if start is None:
                start = self._first_send_ns(now_ns())
            replies = self.replies
            await self._connection(client, start, deadline)
            if self.replies > replies:
                policy.progress()
            if self._more(deadline):
                if not await policy.retry():
                    break
                self.emit(StateChange(self.index, now_ns(), "connecting"))
        if not policy.gave_up:
            self.emit(StateChange(self.index, now_ns(), "closed"))

    async def _connection(self, client: MessageClient, start: int, deadline: int | None) -> None:
        """Send and receive on one connection until done or it ends under us."""
        self.ending = False
        self.client = client  # for `act` while it is up
        receiver = asyncio.create_task(self._receive(client))
        expirer = asyncio.create_task(self._expire())
        waker = asyncio.create_task(self._wake_on_stop())
        try:
            ended = await self._send_all(client, start, deadline, receiver)
            if not ended:
                await self._drain(receiver)
        finally:
            for task in (expirer, receiver, waker):
                task.cancel()
            self.client = None
            self._flush_tally()  # the receiver is cancelled: nothing more arrives here
            await asyncio.gather(expirer, receiver, waker, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 2)
        # whatever is still pending after the connection went is lost with it
        self._emit_resolved(self.matcher.resolve_all("errored", now_ns(), "connection ended"))

    async def _send_all(
        self, client: MessageClient, start: int, deadline: int | None, receiver: asyncio.Task[None]
    ) -> bool:
        """Send until done; True when the connection ended under us."""
        cfg = self.config
        interval_ns = int(1e9 / self.rate) if self.rate else 0
        while self._more(deadline):
            if receiver.done() or self.ending:
                return True
            seq = self.seq
            try:
                frame = client.encode(cfg.payload, seq)
            except ProbeError as exc:  # the payload cannot be sent at all: stop the run
                self.emit(ErrorEvent(self.index, now_ns(), type(exc).__name__, str(exc)))
                self.stop.set()
                return True
            if interval_ns:
                intended = start + seq * interval_ns
                await sleep_until(intended)
            elif self.matcher.in_flight:
                await self._wait_idle()
                if receiver.done() or self.ending:
                    return True
                if not self._more(deadline):
                    break
            due = intended if interval_ns else None
            if await self._send_step(
                client, frame, due, cfg.payload, seq < cfg.warmup, cfg.record_messages
            ):
                return True
        return False

    async def _send_step(
        self,
        client: MessageClient,
        frame: bytes | str,
        intended: int | None,
        value: Any,
        warmup: bool,
        record: bool,
    ) -> bool:
        """Account for frame `self.seq` and send it (`intended`: its due time in open
        loop, None in closed loop); True when the connection ended under us."""
        seq = self.seq
        size = len(frame) if isinstance(frame, bytes) else len(frame.encode())
        pending = Pending(seq, 0, 0, size, warmup)
        self.matcher.sent(pending)  # before the send: its reply can come at once
        self.seq += 1
        # the clock starts after rtprobe's own bookkeeping, as a minimal client's does
        sent = pending.sent_ns = now_ns()
        pending.intended_ns = sent if intended is None else intended
        try:
            await client.send_frame(frame)
        except ClosedError:
            return True
        if record:
            self.emit(
                Message(self.index, "out", sent, "input", size, value, seq, capped_raw(frame))
            )
        return False

    async def _wake_on_stop(self) -> None:
        """A stop wakes a sender waiting for a reply, so a stopped run ends at once and
        still accounts for what was in flight (instead of being cancelled with it)."""
        await self.stop.wait()
        self._wake()

    async def _drain(self, receiver: asyncio.Task[None]) -> None:
        """Wait for in-flight replies until they arrive, time out, or the socket ends; a
        stopped run waits for none: what is in flight then is timed out, and says why."""
        if not receiver.done() and not self.stop.is_set():
            await self._wait_idle(self.config.timeout_s + 1)
        why = (
            "the run was stopped before a reply"
            if self.stop.is_set()
            else "no reply before the end"
        )
        self._emit_resolved(self.matcher.resolve_all("timed_out", now_ns(), why))

    async def _receive(self, client: MessageClient) -> None:
        try:
            await self._receive_loop(client)
        finally:
            self._wake()  # a sender waiting for replies must see that none will come

    async def _receive_loop(self, client: MessageClient) -> None:
        record = self.config.record_messages
        while True:
            try:
                reply = await client.receive()
            except ClosedError as exc:
                if self.matcher.in_flight or self._more(None) or exc.code not in (1000, None):
                    self.emit(ErrorEvent(self.index, now_ns(), "ClosedError", str(exc)))
                self._emit_resolved(self.matcher.resolve_all("errored", now_ns(), str(exc)))
                return
            except ProbeError as exc:
                self.emit(ErrorEvent(self.index, now_ns(), type(exc).__name__, str(exc)))
                continue
            t = reply.received_ns or now_ns()  # as the frame came, before it was decoded
            self.replies += 1
            if reply.closes:
                self.ending = True
            raw = capped_raw(reply.raw) if record or reply.kind == "x-fal-message" else None
            if record:
                self.emit(
                    Message(self.index, "in", t, reply.kind, reply.size, reply.data, reply.seq, raw)
                )
            if reply.error is not None:
                self.emit(ErrorEvent(self.index, t, type(reply.error).__name__, str(reply.error)))
                self._answer(self.matcher.error(t, str(reply.error)), reply)
            elif reply.kind == "x-fal-message" or reply.end:
                if reply.kind == "x-fal-message" and not record:  # rare: always shown
                    self.emit(
                        Message(self.index, "in", t, reply.kind, reply.size, reply.data, None, raw)
                    )
                self._untallied_bytes += reply.size
            else:
                self._answer(self.matcher.reply(reply.seq, t), reply)

    async def _expire(self) -> None:
        tick = min(0.25, max(0.01, self.config.timeout_s / 4))
        # session k of C ticks at (k + 1/2)/C of the tick: the sessions connect together,
        # and 50 ticks at once held the loop ~0.3 ms every 0.25 s, in front of the sends
        # due then (the same few sessions' sends each time: their send lag p99 tripled)
        sessions = max(1, self.config.concurrency)
        await asyncio.sleep(tick * (self.index % sessions + 0.5) / sessions)
        while True:
            await asyncio.sleep(tick)
            expired = self.matcher.expire(now_ns(), self.timeout_ns)
            if expired:
                self._emit_resolved(expired)
            self._flush_tally()
