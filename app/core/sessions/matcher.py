"""Matching replies to requests, and accounting for every message (pure, no I/O).

Apps that echo the sequence id (rtprobe adds one to each input) are matched exactly;
a reply for id k also proves that earlier pending ids were dropped when the app
answers in order (unary fal apps do; `max_buffering` drops the oldest). Apps that
echo nothing are matched first-in first-out, and timeouts catch what never returns.

Which of the two an app is, the replies say: until a reply has carried an id, a reply
without one answers the oldest pending input (most apps echo nothing, and with
`--seq-field ""` or an untagged payload format nothing can be echoed). From the first
echoed id on the app is known to echo ids, and a reply without one is no reply at all
(a progress frame, a server's own chatter, a flood): it matches nothing. Before that
first id, an id-less frame can still take the place of a reply, for at most the inputs
then in flight.

A reply that matches nothing is counted `unmatched`, by reason: `late` (its input was
already given up on: timed out, dropped or errored), `duplicate` (its input was already
answered: a second copy, or a streaming app's further outputs; told apart from late for
the last `RECENT` ids), `unknown` (an id never sent)
or `unsolicited` (no id, when nothing is pending or the app echoes ids).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal, get_args

from app.core.events import Outcome

UnmatchedReason = Literal["late", "duplicate", "unknown", "unsolicited"]
UNMATCHED_REASONS: tuple[UnmatchedReason, ...] = get_args(UnmatchedReason)
RECENT = 4096  # ids whose answered/not answered fate is remembered (one byte each)


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
        self.echoes_ids = False  # learned from the first reply that carries an id
        self._pending: OrderedDict[int, Pending] = OrderedDict()
        self._next = 0  # one past the highest id sent
        self._answered = bytearray(RECENT)  # slot seq % RECENT: 1 once seq got its reply
        self.unmatched_by: dict[str, int] = dict.fromkeys(UNMATCHED_REASONS, 0)

    @property
    def unmatched(self) -> int:
        """Replies that matched nothing, in all."""
        return sum(self.unmatched_by.values())

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def oldest(self) -> Pending | None:
        return next(iter(self._pending.values()), None)

    def sent(self, pending: Pending) -> None:
        self._pending[pending.seq] = pending
        self._next = max(self._next, pending.seq + 1)
        self._answered[pending.seq % RECENT] = 0

    def reply(self, seq: int | None, now_ns: int) -> list[Resolved]:
        """What a reply resolves; [] when it matched nothing (counted in `unmatched_by`)."""
        if seq is None:
            if self.echoes_ids or not self._pending:
                return self._unmatched("unsolicited")
            _, first = self._pending.popitem(last=False)
            return [self._received(first, now_ns)]
        self.echoes_ids = True
        match = self._pending.pop(seq, None)
        if match is None:
            return self._unmatched(self._why(seq))
        out = []
        if self.ordered:
            while self._pending and next(iter(self._pending)) < seq:
                _, skipped = self._pending.popitem(last=False)
                out.append(
                    Resolved(skipped, "dropped", now_ns, "no reply: a later input was answered")
                )
        out.append(self._received(match, now_ns))
        return out

    def _received(self, pending: Pending, now_ns: int) -> Resolved:
        self._answered[pending.seq % RECENT] = 1
        return Resolved(pending, "received", now_ns)

    def _why(self, seq: int) -> UnmatchedReason:
        """Why a reply for an id that is not pending matched nothing."""
        if not 0 <= seq < self._next:
            return "unknown"
        if self._next - seq <= RECENT and self._answered[seq % RECENT]:
            return "duplicate"
        return "late"

    def _unmatched(self, reason: UnmatchedReason) -> list[Resolved]:
        self.unmatched_by[reason] += 1
        return []

    def error(self, now_ns: int, message: str) -> list[Resolved]:
        """An app error, or a frame that cannot be decoded, answers the oldest pending
        input (fal apps work in order, and fal answers bad input with an error)."""
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
