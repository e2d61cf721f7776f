"""A WebRTC session's network changes: live (`act`) and scheduled (`network_at`).

- `act("network", PROFILE)`: the client's impairments of its own RTP/RTCP;
- `act("mock_network", PROFILE or None)`: the rtprobe mock's side of this session alone
  (`PUT /_mock/sessions/{id}/network` with the id the mock gave in its handshake; None:
  the mock's server-wide setting again).

Each change that took effect is a `NetworkChange` event (app/core/network/changes.py),
so the timeline, the reports and the history show when it happened. The schedule runs
as one task per session, times counted from the session's start.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from app.core.errors import ClosedError, TargetError
from app.core.events import now_ns
from app.core.network.changes import Scheduled, change_event, parse_schedule
from app.core.network.impair import NetworkError, NetworkProfile
from app.core.network.mock_session import mock_base, set_session_network
from app.core.network.profile import format_profile, parse_profile

NETWORK_ACTS = ("network", "mock_network")


def _profile(value: object) -> NetworkProfile:
    """A live value: a NetworkProfile or its text (a bad one: TargetError, one line)."""
    if isinstance(value, NetworkProfile):
        return value
    try:
        return parse_profile(str(value))
    except NetworkError as exc:
        raise TargetError(str(exc)) from None


async def network_act(session: Any, what: str, value: object) -> None:
    """Apply one change (see the module docstring); raises a ProbeError in one line."""
    if what == "network":
        profile = _profile(value)
        assert session.options.network is not None
        session.options.network.set(profile)
        shown = value if isinstance(value, str) else profile  # the text as given names it
        session.emit(change_event(session.index, now_ns(), "client", shown))
        return
    client = session.client
    if client is None or not session.connected:
        raise ClosedError(f"cannot change the mock's network: session {session.index} is down")
    mock_id = getattr(client, "mock_session", None)
    if not mock_id:
        raise TargetError(
            "cannot change the mock's network: the server named no session "
            "(only the rtprobe mock does, in its x-rtprobe-session header)"
        )
    spec = None if value is None else format_profile(_profile(value))
    try:
        got = await set_session_network(
            mock_base(session.config.target.url),
            mock_id,
            spec,
            key=session.config.credentials.key,
            timeout_s=min(5.0, session.config.timeout_s),
        )
        now = now_ns()
        if value is None:  # the mock's server-wide profile again: say which it is
            network = got.get("network") if isinstance(got, dict) else None
            value = str(network.get("spec", "none")) if isinstance(network, dict) else "none"
        change = change_event(session.index, now, "mock", value)
    except ValueError as exc:
        raise TargetError(str(exc)) from None
    session.emit(change)


def start_schedule(session: Any) -> asyncio.Task[None] | None:
    """The task applying the session's `network_at` changes; None when there are none."""
    schedule = parse_schedule(getattr(session.config.webrtc, "network_at", ()))
    if not schedule:
        return None
    return asyncio.ensure_future(_run_schedule(session, schedule, now_ns()))


async def _run_schedule(session: Any, schedule: tuple[Scheduled, ...], start_ns: int) -> None:
    for item in schedule:
        wait_s = (start_ns + int(item.at_s * 1e9) - now_ns()) / 1e9
        if wait_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.stop.wait(), wait_s)
        if session.stop.is_set():
            return
        what = "network" if item.side == "client" else "mock_network"
        for _ in range(50):  # the mock's side waits (bounded) for the session to be up
            try:
                await network_act(session, what, item.spec)
                break
            except ClosedError:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(session.stop.wait(), 0.1)
                if session.stop.is_set():
                    return
            except TargetError as exc:
                session._on_problem(exc)
                break


async def stop_schedule(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
