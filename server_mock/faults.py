"""The fault decisions of one session: latency, jitter, drops, errors, disconnects, stalls.

Server-wide defaults come from `FaultConfig` (the schema in `app.core.faultschema`);
each connection may override any of them with query parameters of the same name
(`?latency_ms=20&drop=0.1`), so one mock process can serve a clean session beside a
faulty one. Where the decisions are applied: `outbox.py` for every transport's
outputs, `webrtc.py` for video frames.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping

from app.core.faultschema import FaultConfig, FaultParamError, fault_names, is_active, with_query

__all__ = [
    "FAULT_PARAMS",
    "INJECTED_ERROR",
    "FaultConfig",
    "FaultParamError",
    "Faults",
    "parse_overrides",
]

FAULT_PARAMS: tuple[str, ...] = fault_names()
INJECTED_ERROR = "injected fault: error_rate"  # the reason every transport reports


def parse_overrides(base: FaultConfig, query: Mapping[str, str]) -> FaultConfig:
    """Return `base` with the fault parameters present in `query` applied (raises
    FaultParamError, one line, for a value that is not a number in range)."""
    return with_query(base, query)


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
        self._active = (config, is_active(config))  # asked per message: cached per config

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
        """Whether any fault is on; False lets the outbox skip every per-message step."""
        config = self.config
        if self._active[0] is not config:
            self._active = (config, is_active(config))
        return self._active[1]

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
        """Seconds to stall before the next output, given how many went out."""
        c = self.config
        if c.stall_ms and events_sent == c.stall_after:
            return c.stall_ms / 1000.0
        return 0.0
