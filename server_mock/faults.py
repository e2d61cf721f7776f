"""Fault injection, all of it: latency, jitter, drops, errors, disconnects, stalls.

Server-wide defaults come from `FaultConfig`; each connection may override any of
them with query parameters of the same name (`?latency_ms=20&drop=0.1`), so one
mock process can serve a clean session beside a faulty one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Callable, Mapping

from server_mock.config import FaultConfig

FAULT_PARAMS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(FaultConfig))


class FaultParamError(ValueError):
    """A fault query parameter that is not a number in range."""


def parse_overrides(base: FaultConfig, query: Mapping[str, str]) -> FaultConfig:
    """Return `base` with the fault parameters present in `query` applied."""
    changes: dict[str, object] = {}
    for f in dataclasses.fields(FaultConfig):
        raw = query.get(f.name)
        if raw is None:
            continue
        try:
            value: float | int = (
                int(raw) if f.name in ("disconnect_after", "stall_after", "seed") else float(raw)
            )
        except ValueError:
            raise FaultParamError(f"fault parameter {f.name}={raw!r} is not a number") from None
        if value < 0:
            raise FaultParamError(f"fault parameter {f.name}={raw!r} must not be negative")
        if f.name in ("drop", "error_rate", "frame_drop") and value > 1:
            raise FaultParamError(f"fault parameter {f.name}={raw!r} must be between 0 and 1")
        changes[f.name] = value
    return dataclasses.replace(base, **changes) if changes else base  # type: ignore[arg-type]  # values typed per field above


class Faults:
    """The fault decisions of one session, with its own random stream."""

    def __init__(
        self,
        config: FaultConfig,
        *,
        follow: Callable[[], FaultConfig] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> None:
        """`follow` returns the server's current defaults: when they change (the GUI's
        live fault settings), this session's faults change too, its query still on top."""
        self._config = config
        self._follow = follow
        self._base = follow() if follow is not None else None
        self._query = query or {}
        self._rng = random.Random(config.seed)
        self.outputs = 0  # outputs that went out (drives disconnect_after)

    @classmethod
    def for_session(cls, current: Callable[[], FaultConfig], query: Mapping[str, str]) -> Faults:
        """The faults of a new session: the server's defaults with the query's overrides
        (raises FaultParamError for a bad query), following later changes to the defaults."""
        return cls(parse_overrides(current(), query), follow=current, query=query)

    @property
    def config(self) -> FaultConfig:
        if self._follow is not None:
            base = self._follow()
            if base is not self._base:
                self._base = base
                self._config = parse_overrides(base, self._query)
        return self._config

    @property
    def active(self) -> bool:
        c = self.config
        return any(
            (
                c.latency_ms,
                c.jitter_ms,
                c.drop,
                c.error_rate,
                c.disconnect_after,
                c.slow_start_ms,
                c.stall_ms,
                c.frame_drop,
            )
        )

    def delay_s(self) -> float:
        c = self.config
        if not c.latency_ms and not c.jitter_ms:
            return 0.0
        ms = c.latency_ms + (self._rng.uniform(-c.jitter_ms, c.jitter_ms) if c.jitter_ms else 0.0)
        return max(0.0, ms) / 1000.0

    async def delay(self) -> None:
        d = self.delay_s()
        if d:
            await asyncio.sleep(d)

    async def slow_start(self) -> None:
        if self.config.slow_start_ms:
            await asyncio.sleep(self.config.slow_start_ms / 1000.0)

    def drop_output(self) -> bool:
        return bool(self.config.drop) and self._rng.random() < self.config.drop

    def error_output(self) -> bool:
        return bool(self.config.error_rate) and self._rng.random() < self.config.error_rate

    def drop_frame(self) -> bool:
        return bool(self.config.frame_drop) and self._rng.random() < self.config.frame_drop

    def count_output(self) -> bool:
        """Count one output sent; True when the session must now disconnect abruptly."""
        self.outputs += 1
        n = self.config.disconnect_after
        return bool(n) and self.outputs >= n

    def stall_s(self, events_sent: int) -> float:
        """Seconds to stall before the next SSE event, given how many went out."""
        c = self.config
        if c.stall_ms and events_sent == c.stall_after:
            return c.stall_ms / 1000.0
        return 0.0
