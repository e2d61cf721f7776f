"""The pure planner: given bytes and the time they arrived, what to emit when.

Each toxic becomes a `Stage` that takes pieces (bytes with the time they may leave and
Toxiproxy's timestamp) and returns pieces and ends. A `Chain` is one direction of one
connection: its stages in the order the toxics were added, as Toxiproxy chains them.
Times are seconds on any monotonic clock; randomness comes from the caller's
`random.Random`, so a plan is repeatable. No I/O, no asyncio: the proxy (proxy.py,
shaper.py) sleeps until each item's time and performs it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace

from app.core.network.toxics import (
    Bandwidth,
    LimitData,
    ResetPeer,
    Slicer,
    SlowClose,
    Timeout,
    Toxic,
)

EOF_KIND = "eof"  # this direction ends: half-close the destination (FIN)
CLOSE_KIND = "close"  # the connection ends: close both sides
RESET_KIND = "reset"  # the connection ends abortively: TCP RST on both sides


@dataclass(frozen=True)
class Piece:
    """Bytes that may leave at `at`; `stamp` is Toxiproxy's chunk timestamp (read time,
    moved forward only by latency), which latency counts from."""

    at: float
    data: bytes
    stamp: float


@dataclass(frozen=True)
class End:
    """The direction or the connection ends at `at` (`kind`: eof, close or reset)."""

    at: float
    kind: str


Item = Piece | End


class Stage:
    """A toxic on one direction of one connection. The base passes everything on."""

    def __init__(self, toxic: Toxic | None, rng: random.Random) -> None:
        self.toxic = toxic
        self.rng = rng
        self.ended = False  # past an End: everything after it is dropped
        self.last = 0.0  # pieces leave in order: none before the previous one

    def feed(self, piece: Piece) -> list[Item]:
        return [self._after(piece)]

    def end(self, end: End) -> list[Item]:
        """An end arriving from upstream stages (or the source's EOF)."""
        return [replace(end, at=max(end.at, self.last))]

    def deadline(self) -> float | None:
        """When this stage will end the connection by itself (timeout, reset_peer)."""
        return None

    def expire(self, now: float) -> list[Item]:
        """Called at or after `deadline()`."""
        return []

    def removed(self, now: float) -> list[Item]:
        """The toxic is being removed from a live connection (timeout closes it)."""
        return []

    def _after(self, piece: Piece, at: float | None = None) -> Piece:
        at = max(piece.at if at is None else at, self.last)
        self.last = at
        return replace(piece, at=at)


class LatencyStage(Stage):
    def feed(self, piece: Piece) -> list[Item]:
        a = self.toxic.attributes if self.toxic else None
        latency = getattr(a, "latency", 0)
        jitter = getattr(a, "jitter", 0)
        ms = latency + (self.rng.randrange(-jitter, jitter) if jitter > 0 else 0)
        leave = max(piece.at, piece.stamp + ms / 1000.0)
        out = self._after(piece, leave)
        return [replace(out, stamp=out.at)]


class BandwidthStage(Stage):
    """Toxiproxy's bandwidth: each chunk costs len/rate; chunks longer than 100 ms of
    data leave in 100 ms slices. No credit builds up while idle (no burst)."""

    def feed(self, piece: Piece) -> list[Item]:
        rate = self._attrs.rate
        if rate <= 0:
            return [self._after(piece)]
        per_s = rate * 1000.0
        slice_max = rate * 100
        t = max(piece.at, self.last)
        out: list[Item] = []
        data = piece.data
        while data:
            part, data = data[:slice_max], data[slice_max:]
            t += len(part) / per_s
            out.append(Piece(t, part, piece.stamp))
        self.last = t
        return out

    @property
    def _attrs(self) -> Bandwidth:
        assert self.toxic is not None and isinstance(self.toxic.attributes, Bandwidth)
        return self.toxic.attributes


class SlicerStage(Stage):
    """Toxiproxy's slicer: halve a chunk (+- variation) until its pieces are within
    average_size + size_variation; each piece leaves `delay` µs after the previous."""

    def feed(self, piece: Piece) -> list[Item]:
        a = self.toxic.attributes if self.toxic else None
        assert isinstance(a, Slicer)
        t = max(piece.at, self.last)
        out: list[Item] = []
        bounds = self._cuts(0, len(piece.data), a)
        for start, stop in zip(bounds[::2], bounds[1::2], strict=True):
            out.append(Piece(t, piece.data[start:stop], piece.stamp))
            t += a.delay / 1e6
        self.last = t
        return out

    def _cuts(self, start: int, stop: int, a: Slicer) -> list[int]:
        cuts: list[int] = []
        todo = [(start, stop)]
        while todo:  # depth-first, left before right: the order of the bytes
            lo, hi = todo.pop()
            if (hi - lo) - a.average_size <= a.size_variation or hi - lo < 2:
                cuts += [lo, hi]
                continue
            mid = lo + (hi - lo) // 2
            if a.size_variation > 0:
                mid += self.rng.randrange(-a.size_variation, a.size_variation)
            mid = min(max(mid, lo + 1), hi - 1)
            todo += [(mid, hi), (lo, mid)]
        return cuts


class SlowCloseStage(Stage):
    def end(self, end: End) -> list[Item]:
        a = self.toxic.attributes if self.toxic else None
        assert isinstance(a, SlowClose)
        if end.kind == RESET_KIND:
            return [end]
        return [End(max(end.at, self.last) + a.delay / 1000.0, end.kind)]


class TimeoutStage(Stage):
    """Drops all data; closes `timeout` after the stage started or the last data
    (Toxiproxy restarts its timer per chunk); 0: never, until removed."""

    def __init__(self, toxic: Toxic | None, rng: random.Random, now: float) -> None:
        super().__init__(toxic, rng)
        self._since = now

    @property
    def _ms(self) -> int:
        a = self.toxic.attributes if self.toxic else None
        assert isinstance(a, Timeout)
        return a.timeout

    def feed(self, piece: Piece) -> list[Item]:
        self._since = max(self._since, piece.at)
        return []

    def deadline(self) -> float | None:
        return None if self.ended or not self._ms else self._since + self._ms / 1000.0

    def expire(self, now: float) -> list[Item]:
        self.ended = True
        return [End(now, CLOSE_KIND)]

    def removed(self, now: float) -> list[Item]:
        return [] if self.ended else [End(now, CLOSE_KIND)]


class LimitDataStage(Stage):
    def __init__(self, toxic: Toxic | None, rng: random.Random, sent: int = 0) -> None:
        super().__init__(toxic, rng)
        self.sent = sent  # kept across updates of the toxic, as Toxiproxy keeps its state

    def feed(self, piece: Piece) -> list[Item]:
        a = self.toxic.attributes if self.toxic else None
        assert isinstance(a, LimitData)
        left = max(0, a.bytes - self.sent)
        out: list[Item] = []
        if left and piece.data:
            part = piece.data[:left]
            self.sent += len(part)
            out.append(self._after(replace(piece, data=part)))
        if self.sent >= a.bytes:
            self.ended = True
            out.append(End(self.last if out else max(piece.at, self.last), CLOSE_KIND))
        return out


class ResetPeerStage(Stage):
    """On the first data: drop it (and all after) and reset `timeout` ms later."""

    def __init__(self, toxic: Toxic | None, rng: random.Random) -> None:
        super().__init__(toxic, rng)
        self._at: float | None = None

    def feed(self, piece: Piece) -> list[Item]:
        if self._at is None:
            a = self.toxic.attributes if self.toxic else None
            assert isinstance(a, ResetPeer)
            self._at = piece.at + a.timeout / 1000.0
        return []

    def deadline(self) -> float | None:
        return None if self.ended else self._at

    def expire(self, now: float) -> list[Item]:
        self.ended = True
        return [End(now, RESET_KIND)]


def make_stage(toxic: Toxic, rng: random.Random, now: float, old: Stage | None) -> Stage:
    """The stage of `toxic`, or a pass-through one when this connection's roll of its
    toxicity says no (Toxiproxy rolls once per connection and per change of the toxic)."""
    if not rng.random() < toxic.toxicity:
        return Stage(toxic, rng)
    kind = toxic.type
    if kind == "latency":
        return LatencyStage(toxic, rng)
    if kind == "bandwidth":
        return BandwidthStage(toxic, rng)
    if kind == "slicer":
        return SlicerStage(toxic, rng)
    if kind == "slow_close":
        return SlowCloseStage(toxic, rng)
    if kind == "timeout":
        return TimeoutStage(toxic, rng, now)
    if kind == "limit_data":
        return LimitDataStage(toxic, rng, old.sent if isinstance(old, LimitDataStage) else 0)
    if kind == "reset_peer":
        return ResetPeerStage(toxic, rng)
    raise ValueError(f"no stage for toxic type {kind!r}")


class Chain:
    """The toxics of one direction of one connection, applied in order."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()
        self.stages: list[Stage] = []
        self.ended = False
        # no toxic applies: bytes may go straight through (kept with `stages`: it is read
        # for every chunk both ways, and stages only change in `update`)
        self.idle = True

    def update(self, toxics: Iterable[Toxic], now: float) -> list[Item]:
        """Follow a new list of toxics for this direction: unchanged toxics keep their
        stage (roll and state), changed or new ones get a fresh roll. Returns what the
        removed stages emit (a removed `timeout` closes the connection)."""
        old = {s.toxic.name: s for s in self.stages if s.toxic is not None}
        stages, out = [], []
        for toxic in toxics:
            prev = old.pop(toxic.name, None)
            if prev is not None and prev.toxic == toxic:
                stages.append(prev)
            else:
                stages.append(make_stage(toxic, self.rng, now, prev))
                if prev is not None:
                    out += self._pass(prev.removed(now), after=len(stages))
        for gone in old.values():
            out += gone.removed(now)
        self.stages = stages
        self.idle = all(type(s) is Stage for s in stages)
        return self._note(out)

    def feed(self, data: bytes, now: float) -> list[Item]:
        if self.ended:
            return []
        return self._note(self._pass([Piece(now, data, now)], after=0))

    def eof(self, now: float) -> list[Item]:
        """The source sent EOF."""
        if self.ended:
            return []
        return self._note(self._pass([End(now, EOF_KIND)], after=0))

    def deadline(self) -> float | None:
        times = [t for s in self.stages if (t := s.deadline()) is not None]
        return min(times) if times and not self.ended else None

    def expire(self, now: float) -> list[Item]:
        out: list[Item] = []
        for i, s in enumerate(self.stages):
            t = s.deadline()
            if t is not None and t <= now + 1e-9:  # a timer may fire a hair early
                out += self._pass(s.expire(now), after=i + 1)
        return self._note(out)

    def _pass(self, items: list[Item], *, after: int) -> list[Item]:
        for stage in self.stages[after:]:
            nxt: list[Item] = []
            for item in items:
                if stage.ended:
                    break
                nxt += stage.feed(item) if isinstance(item, Piece) else stage.end(item)
            items = nxt
        return items

    def _note(self, items: list[Item]) -> list[Item]:
        kept: list[Item] = []
        for item in items:
            if self.ended:
                break
            kept.append(item)
            if isinstance(item, End) and item.kind != EOF_KIND:
                self.ended = True
        return kept
