"""Packet impairments for WebRTC's datagrams (what netem does to a link), pure: no I/O.

One `Link` is one direction of one session. For each packet it answers "dropped" or
"deliver at time T", from four stages applied in this order:

1. loss: random (Bernoulli, `loss`) or bursty (`burst` > 1: a two-state Gilbert–Elliott
   chain, every packet lost in the Bad state and none in the Good state; the chain's
   stationary loss is `loss` and the mean run of lost packets is `burst`);
2. bandwidth: `rate` kbit/s, a token bucket one MTU deep feeding a FIFO; a packet whose
   wait in that FIFO would pass `queue` ms is dropped (tail drop, as a router does);
3. delay: `delay` ms plus a uniform draw in ±`jitter` ms (never below 0);
4. order is kept: a packet never leaves before the one before it (as Toxiproxy's latency
   does; the ±jitter bounds still hold).

Changing the impairment (`Link.set`) applies to the next packet; the FIFO and the loss
chain carry on. The random stream is the caller's (`random.Random(seed)`), so tests and
benchmarks are deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

MTU_BYTES = 1500
DEFAULT_QUEUE_MS = 400.0


class NetworkError(ValueError):
    """A bad network profile (one line naming the field)."""


@dataclass(frozen=True)
class Impairment:
    """One direction's conditions; every field 0 means a clean link."""

    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    loss: float = 0.0  # 0..1, the long-run fraction of packets lost
    burst: float = 1.0  # mean length of a loss run, packets (1: independent losses)
    rate_kbps: float = 0.0  # 0: no cap
    queue_ms: float = DEFAULT_QUEUE_MS  # the bottleneck's FIFO, in time at `rate`

    def __post_init__(self) -> None:
        for name in ("delay_ms", "jitter_ms", "rate_kbps", "queue_ms"):
            value = getattr(self, name)
            if not 0 <= value <= 600_000:
                raise NetworkError(
                    f"network {name.removesuffix('_ms').removesuffix('_kbps')}"
                    f" must be between 0 and 600000, not {value:g}"
                )
        if not 0 <= self.loss <= 1:
            raise NetworkError(f"network loss must be between 0 % and 100 %, not {self.loss:g}")
        if not 1 <= self.burst <= 10_000:
            raise NetworkError(f"network burst must be between 1 and 10000, not {self.burst:g}")

    @property
    def clean(self) -> bool:
        return not (self.delay_ms or self.jitter_ms or self.loss or self.rate_kbps)


@dataclass(frozen=True)
class NetworkProfile:
    """Both directions: `up` is client -> server, `down` server -> client."""

    up: Impairment = field(default_factory=Impairment)
    down: Impairment = field(default_factory=Impairment)
    name: str = ""  # the preset's name, or "" for a custom profile

    @property
    def clean(self) -> bool:
        return self.up.clean and self.down.clean

    def both(self, **changes: float) -> NetworkProfile:
        return replace(self, up=replace(self.up, **changes), down=replace(self.down, **changes))


CLEAN = NetworkProfile(name="none")


class GilbertElliott:
    """Two-state loss chain: Good (no loss) and Bad (all lost). From Good the chain goes
    Bad with probability p, from Bad back to Good with r = 1/burst; stationary loss
    p / (p + r) = `loss`, so p = loss * r / (1 - loss)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.bad = False

    def lost(self, loss: float, burst: float) -> bool:
        if loss <= 0:
            self.bad = False
            return False
        if loss >= 1:
            return True
        if burst <= 1:
            return self.rng.random() < loss
        r = 1.0 / burst
        p = min(1.0, loss * r / (1.0 - loss))
        self.bad = self.rng.random() >= r if self.bad else self.rng.random() < p
        return self.bad


@dataclass
class LinkCounters:
    packets: int = 0
    bytes: int = 0
    lost: int = 0  # by the loss stage
    overflow: int = 0  # by the bandwidth stage's full FIFO
    delivered: int = 0


class Link:
    """One direction of a session; `admit(size, now_s)` -> delivery time, or None."""

    def __init__(self, impairment: Impairment, rng: random.Random) -> None:
        self.impairment = impairment
        self.rng = rng
        self.loss = GilbertElliott(rng)
        self.counters = LinkCounters()
        self._free_at = 0.0  # when the bottleneck has sent everything admitted so far
        self._last_out = 0.0

    def set(self, impairment: Impairment) -> None:
        self.impairment = impairment

    def admit(self, size: int, now_s: float) -> float | None:
        imp, c = self.impairment, self.counters
        c.packets += 1
        c.bytes += size
        if self.loss.lost(imp.loss, imp.burst):
            c.lost += 1
            return None
        t = now_s
        if imp.rate_kbps > 0:
            cost = size * 8 / (imp.rate_kbps * 1000)
            bucket = MTU_BYTES * 8 / (imp.rate_kbps * 1000)  # one packet's worth of credit
            start = max(self._free_at, now_s - bucket)
            if start + cost - now_s > imp.queue_ms / 1000:
                c.overflow += 1
                return None
            self._free_at = start + cost
            t = max(now_s, self._free_at)
        if imp.delay_ms or imp.jitter_ms:
            offset = imp.delay_ms + self.rng.uniform(-imp.jitter_ms, imp.jitter_ms)
            t += max(0.0, offset) / 1000
        t = max(t, self._last_out)
        self._last_out = t
        c.delivered += 1
        return t
