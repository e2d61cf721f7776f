"""Matching replies to requests, and accounting for every message (pure, no I/O).

Apps that echo the sequence id (rtprobe adds one to each input) are matched exactly;
a reply for id k also proves that earlier pending ids were dropped when the app
answers in order (unary fal apps do; `max_buffering` drops the oldest). Apps that
echo nothing are matched first-in first-out, and timeouts catch what never returns.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from app.core.events import Outcome


@dataclass(slots=True)
class Pending:
    seq: int
    intended_ns: int
    sent_ns: int
    bytes_out: int
    warmup: bool = False


@dataclass(slots=True)
class Resolved:
    pending: Pending
    outcome: Outcome
    done_ns: int
    error: str = ""


class Matcher:
    def __init__(self, *, ordered: bool = True) -> None:
        self.ordered = ordered
        self._pending: OrderedDict[int, Pending] = OrderedDict()
        self.unmatched = 0  # replies with an id we are not waiting for (late or unknown)

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def oldest(self) -> Pending | None:
        return next(iter(self._pending.values()), None)

    def sent(self, pending: Pending) -> None:
        self._pending[pending.seq] = pending

    def reply(self, seq: int | None, now_ns: int) -> list[Resolved]:
        if seq is None:
            if not self._pending:
                self.unmatched += 1
                return []
            _, first = self._pending.popitem(last=False)
            return [Resolved(first, "received", now_ns)]
        match = self._pending.pop(seq, None)
        if match is None:
            self.unmatched += 1
            return []
        out = []
        if self.ordered:
            while self._pending and next(iter(self._pending)) < seq:
                _, skipped = self._pending.popitem(last=False)
                out.append(
                    Resolved(skipped, "dropped", now_ns, "no reply: a later input was answered")
                )
        out.append(Resolved(match, "received", now_ns))
        return out

    def error(self, now_ns: int, message: str) -> list[Resolved]:
        """An app error answers the oldest pending input (fal apps work in order)."""
        if not self._pending:
            return []
        _, first = self._pending.popitem(last=False)
        return [Resolved(first, "errored", now_ns, message)]

    def expire(self, now_ns: int, timeout_ns: int) -> list[Resolved]:
        out = []
        while self._pending:
            first = next(iter(self._pending.values()))
            if now_ns - first.sent_ns < timeout_ns:
                break
            self._pending.popitem(last=False)
            out.append(
                Resolved(first, "timed_out", now_ns, f"no reply within {timeout_ns / 1e9:g} s")
            )
        return out

    def resolve_all(self, outcome: Outcome, now_ns: int, message: str) -> list[Resolved]:
        out = [Resolved(p, outcome, now_ns, message) for p in self._pending.values()]
        self._pending.clear()
        return out
