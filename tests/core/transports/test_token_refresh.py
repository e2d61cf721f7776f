"""Tokens refreshed at 90 % of their lifetime, as fal's JS client does (`TokenSource`),
and long sessions against a mock whose tokens live 2 s (`--token-ttl 2`).

Unit: the refresher's schedule, retries and clean stop, with a fake token service.
Live: a realtime run (the mock disconnects every 20 outputs, so the session reconnects
about once a second) and a WebRTC wma run (each stream ends after 30 frames) of 6 s keep
working with refresh, and fail with HTTP 401 at the first reconnect past 2 s without it;
a wma-rest session's heartbeats (which carry the token) keep it alive only with refresh.
The mock counts the tokens it issued.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from typing import Any

import httpx
import pytest

from app.core.config import RunConfig
from app.core.engine.run import run
from app.core.events import ErrorEvent, Event, Sample, StateChange
from app.core.targets import resolve
from app.core.transports.tokens import TokenSource, jwt_lifetime_s
from app.core.transports.webrtc import WebRtcOptions
from app.core.transports.webrtc_wma import WmaClient
from app.core.transports.wsbase import Credentials, WsOptions, token_source
from server_mock import FaultConfig
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.timeout(90)

KEY = "token-refresh-test-key"


def jwt(lifetime_s: float) -> str:
    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = time.time()
    return f"{b64({'alg': 'none'})}.{b64({'iat': now, 'exp': now + lifetime_s})}.sig"


def test_lifetime_comes_from_the_jwt_claims_or_nothing() -> None:
    assert jwt_lifetime_s(jwt(2.0)) == pytest.approx(2.0, abs=0.01)
    for bad in ("", "a.b", "a.!!!.c", f"x.{base64.urlsafe_b64encode(b'[1]').decode()}.y"):
        assert jwt_lifetime_s(bad) is None


async def test_refreshes_at_90_percent_retries_and_stops_on_close() -> None:
    calls: list[float] = []
    fail_next = [False]

    async def fetch() -> str:
        calls.append(time.monotonic())
        if fail_next[0]:
            fail_next[0] = False
            raise RuntimeError("token service down")
        return jwt(0.5)

    tokens = TokenSource(fetch, lifetime_s=120)
    first = await tokens.get()
    assert await tokens.get() == first and tokens.fetched == 1  # cached
    await async_wait_until(lambda: tokens.refreshed >= 2, 5, what="two refreshes")
    assert tokens.current != first
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(g >= 0.4 for g in gaps)  # ~0.45 s: 90 % of 0.5 s, never early
    fail_next[0] = True
    await async_wait_until(lambda: tokens.refresh_failures == 1, 5, what="a failed refresh")
    before = tokens.refreshed
    await async_wait_until(lambda: tokens.refreshed > before, 5, what="the retry")
    await tokens.close()
    assert tokens.current is None
    n = len(calls)
    await asyncio.sleep(0.6)  # one lifetime: a live refresher would have called again
    assert len(calls) == n


async def test_without_refresh_the_first_token_is_kept() -> None:
    async def fetch() -> str:
        return jwt(0.2)

    tokens = TokenSource(fetch, refresh=False)
    first = await tokens.get()
    await asyncio.sleep(0.3)
    assert await tokens.get() == first and tokens.refreshed == 0
    await tokens.close()


def test_no_token_source_without_a_key_or_jwt() -> None:
    target = resolve("realtime", "mock/echo", base_url="http://127.0.0.1:1")
    assert token_source(target, WsOptions()) is None
    no_jwt = WsOptions(credentials=Credentials(key=KEY, use_jwt=False))
    assert token_source(target, no_jwt) is None
    assert token_source(target, WsOptions(credentials=Credentials(key=KEY))) is not None


# -- live, against a mock with 2-second tokens -----------------------------------------
def issued(base: str) -> int:
    return int(httpx.get(base + "/health").json()["tokens_issued"])


def run_for(base: str, transport: str, target: str, refresh: bool, **kw: Any) -> list[Event]:
    config = RunConfig(
        target=resolve(transport, target, base_url=base),
        count=None,
        duration_s=6,  # three refresh points (1.8, 3.6, 5.4 s) even on a loaded machine
        timeout_s=5,
        credentials=Credentials(key=KEY, refresh_tokens=refresh),
        **kw,
    )
    events: list[Event] = []
    asyncio.run(run(config, events.append))
    return events


def states(events: list[Event]) -> list[StateChange]:
    return [e for e in events if isinstance(e, StateChange)]


def auth_errors(events: list[Event]) -> list[ErrorEvent]:
    return [e for e in events if isinstance(e, ErrorEvent) and e.kind == "AuthError"]


@pytest.mark.parametrize("refresh", [True, False])
def test_realtime_run_past_the_token_lifetime(start_mock: Any, refresh: bool) -> None:
    faults = FaultConfig(disconnect_after=20)
    with start_mock(key=KEY, token_ttl_s=2.0, faults=faults) as base:
        events = run_for(base, "realtime", "mock/echo", refresh, rate=20.0)
        tokens = issued(base)
    reconnects = sum(s.state == "reconnecting" for s in states(events))
    received = [e for e in events if isinstance(e, Sample) and e.outcome == "received"]
    if refresh:
        assert tokens >= 3  # the first and >= 2 refreshes
        assert not auth_errors(events)
        assert states(events)[-1].state == "closed"
        assert reconnects >= 3  # so reconnects past 2 s used refreshed tokens
        assert received[-1].done_ns - received[0].sent_ns > 3.5e9
    else:
        assert tokens == 1
        assert auth_errors(events) and "401" in auth_errors(events)[0].message
        assert states(events)[-1].state == "failed"


@pytest.mark.parametrize("refresh", [True, False])
def test_webrtc_wma_run_past_the_token_lifetime(start_mock: Any, refresh: bool) -> None:
    with start_mock(key=KEY, token_ttl_s=2.0, wma_frames=30) as base:
        events = run_for(base, "webrtc", "mock/wma", refresh)
        tokens = issued(base)
    connected = sum(s.state == "connected" for s in states(events))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    if refresh:
        assert tokens >= 3
        assert not errors, errors
        assert connected >= 3 and states(events)[-1].state == "closed"
    else:
        assert tokens == 1
        assert auth_errors(events) and "401" in auth_errors(events)[0].message
        assert states(events)[-1].state == "failed"
    assert KEY not in repr(events)


@pytest.mark.parametrize("refresh", [True, False])
async def test_wma_rest_heartbeats_carry_a_fresh_token(start_mock: Any, refresh: bool) -> None:
    with start_mock(key=KEY, token_ttl_s=1.0, wma_heartbeat_timeout_s=30.0) as base:
        target = resolve("webrtc", "mock/wma/session", base_url=base)
        ws = WsOptions(credentials=Credentials(key=KEY, refresh_tokens=refresh))
        ws = WsOptions(credentials=ws.credentials, tokens=token_source(target, ws))
        c = WmaClient(
            target,
            ws_options=ws,
            options=WebRtcOptions(mode="generated", wma="wma-rest", heartbeat_s=0.3),
        )
        try:
            await asyncio.wait_for(c.connect(), 20)
            if refresh:
                await async_wait_until(lambda: c.heartbeats >= 10, 15, what="10 heartbeats")
                assert not c.ended.is_set()
            else:
                await asyncio.wait_for(c.ended.wait(), 15)
                assert c.error is not None and "heartbeats failed" in str(c.error)
                assert "401" in str(c.error)
        finally:
            await c.close()
            assert ws.tokens is not None
            await ws.tokens.close()
