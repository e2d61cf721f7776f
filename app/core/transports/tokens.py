"""One session's short-lived token, kept fresh the way fal's JS client keeps it.

fal's tokens (`POST /tokens/`) live about 120 s. fal-js fetches one when a connection
needs it, then refreshes it in the background at 90 % of its lifetime (retrying after
5 % of the lifetime when a refresh fails), and drops the timer when the connection
closes; a reconnect then uses the fresh token. `TokenSource` does the same for one
engine session: `get()` returns the current token (fetching the first), a background
task replaces it at `REFRESH_FRACTION` of its lifetime, `close()` stops that and
forgets the token. A token past its refresh point is never handed out (`get()` fetches
a fresh one then, should the background refresh be late). The lifetime is read from
the token's JWT claims (`exp - iat`) when it has them, else the lifetime asked for.
With `refresh=False` the first token is kept for the whole session (how a client
without refresh behaves: its reconnects fail once the token has expired).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Awaitable, Callable

REFRESH_FRACTION = 0.9
RETRY_FRACTION = 0.05
MIN_REFRESH_S = 0.05  # never spin, whatever a token claims


def jwt_lifetime_s(token: str) -> float | None:
    """`exp - iat` of a JWT's claims, unverified (we only schedule by it); None if absent."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        exp, iat = claims["exp"], claims["iat"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat)):
        return None
    return float(exp - iat) if exp > iat else None


class TokenSource:
    """See the module docstring. Not thread-safe: one event loop."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[str]],
        *,
        lifetime_s: float = 120.0,
        refresh: bool = True,
    ) -> None:
        self._fetch = fetch
        self.lifetime_s = lifetime_s  # asked for; a token's own claims win
        self.refresh = refresh
        self.fetched = 0  # tokens obtained (the first and every refresh)
        self.refreshed = 0
        self.refresh_failures = 0
        self._token: str | None = None
        self._refresh_at = 0.0  # monotonic time at 90 % of the current token's lifetime
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def current(self) -> str | None:
        return self._token

    async def get(self) -> str:
        """The current token; the first call fetches it (and starts the refresher). A
        token past its refresh point (a refresh late on a loaded machine) is never
        handed out: a fresh one is fetched now instead."""
        async with self._lock:
            if self._token is None:
                await self._replace()
                self._start()
            elif self.refresh and time.monotonic() >= self._refresh_at:
                await self._replace()
                self.refreshed += 1
            assert self._token is not None
            return self._token

    async def _replace(self) -> None:
        self._token = await self._fetch()
        self.fetched += 1
        self._refresh_at = time.monotonic() + self._lifetime() * REFRESH_FRACTION

    def _start(self) -> None:
        if self.refresh and (self._task is None or self._task.done()):
            self._task = asyncio.ensure_future(self._refresh_loop())

    def _lifetime(self) -> float:
        own = jwt_lifetime_s(self._token) if self._token else None
        return own if own is not None else self.lifetime_s

    async def _refresh_loop(self) -> None:
        delay = max(MIN_REFRESH_S, self._lifetime() * REFRESH_FRACTION)
        while True:
            await asyncio.sleep(delay)
            try:
                async with self._lock:
                    if time.monotonic() >= self._refresh_at:  # else get() just did it
                        await self._replace()
                        self.refreshed += 1
            except Exception:  # a ProbeError or worse: keep the old token, try again soon
                self.refresh_failures += 1
                delay = max(MIN_REFRESH_S, self._lifetime() * RETRY_FRACTION)
                continue
            delay = max(MIN_REFRESH_S, self._refresh_at - time.monotonic())

    async def close(self) -> None:
        """Stop refreshing and forget the token (a later `get()` starts over)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._token = None
