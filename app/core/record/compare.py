"""A replay's replies against the recording's, per connection and in order: the k-th
reply of a connection is compared with the k-th recorded one (fal's unary apps answer
in order; for SSE the k-th request's events with the k-th recorded request's). Pure.

By default the fields that differ on every run are not compared: rtprobe's sequence
field and mock/echo's server stamps (`server_recv_ns`, `server_send_ns`, which rtprobe
itself reads as server time). `--ignore` adds more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.record.diff import Difference, Ignore, Tolerance, diff
from app.core.record.plan import Plan
from app.core.transports.base import DEFAULT_SEQ_FIELD

ALWAYS_IGNORED = (DEFAULT_SEQ_FIELD, "server_recv_ns", "server_send_ns")
SHOWN_REPLIES = 10  # the summary names at most this many differing replies


@dataclass(frozen=True, slots=True)
class ReplyDiff:
    connection: int
    source: str  # "entry 3"
    index: int  # the reply's number on its connection
    differences: tuple[Difference, ...]


@dataclass
class DiffReport:
    compared: int = 0
    differing: list[ReplyDiff] = field(default_factory=list)
    missing: int = 0  # recorded replies the replay did not get
    extra: int = 0  # replies the replay got that the recording has not

    @property
    def differs(self) -> bool:
        return bool(self.differing or self.missing or self.extra)

    def lines(self) -> list[str]:
        """The compact summary: one headline, then a line per differing reply (bounded)."""
        head = f"replies: {self.compared} compared, {len(self.differing)} differ"
        if self.missing:
            head += f", {self.missing} recorded but not replayed"
        if self.extra:
            head += f", {self.extra} more than recorded"
        out = [head]
        for d in self.differing[:SHOWN_REPLIES]:
            first = d.differences[0].line()
            more = f" (+{len(d.differences) - 1} more)" if len(d.differences) > 1 else ""
            out.append(f"  reply {d.index} of {d.source}: {first}{more}")
        if len(self.differing) > SHOWN_REPLIES:
            out.append(f"  … and {len(self.differing) - SHOWN_REPLIES} more differing replies")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "differ": len(self.differing),
            "missing": self.missing,
            "extra": self.extra,
            "replies": [
                {
                    "connection": d.connection,
                    "source": d.source,
                    "index": d.index,
                    "differences": [x.line() for x in d.differences],
                }
                for d in self.differing
            ],
        }


def compare(
    plan: Plan,
    replies: dict[int, list[Any]],
    tolerance: Tolerance | None = None,
    ignore: tuple[str, ...] = (),
) -> DiffReport:
    tolerance = tolerance or Tolerance()
    report = DiffReport()
    rule = Ignore((*ALWAYS_IGNORED, *ignore))
    for i, conn in enumerate(plan.connections):
        old, new = conn.replies, replies.get(i, [])
        report.compared += min(len(old), len(new))
        report.missing += max(0, len(old) - len(new))
        report.extra += max(0, len(new) - len(old))
        for k, (a, b) in enumerate(zip(old, new, strict=False)):
            found = diff(a, b, tolerance, rule)
            if found:
                report.differing.append(ReplyDiff(i, conn.source, k, tuple(found)))
    return report
