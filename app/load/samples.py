"""Every sample of a worker, to the master, for the one CSV `rtprobe run --csv` writes.

Only with `--report-csv`: each worker then keeps the samples of its window (on the
engine loop's thread) and ships them columnar with the window, as little-endian int64
arrays (about 100 bytes a sample: 5,000 msg/s for 3 s is ~1.5 MB, which Locust's
ZeroMQ link carries) plus the outcomes and the rare error texts. The master turns them
back into `Sample`s, with wall-clock times and the merged run's session numbers, and
feeds the core `CsvSampleWriter`: same columns, same formatting as `rtprobe run --csv`.
Rows are written as windows arrive, so they are grouped by worker in steps of a few
seconds, and times are from the first sample the master wrote (a worker whose first
window came later may show slightly negative times, as other sessions may in
`rtprobe run`'s own file).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.events import Sample

INTS = (
    "session",
    "seq",
    "warmup",
    "intended_ns",
    "sent_ns",
    "done_ns",
    "bytes_out",
    "bytes_in",
    "server_ns",
    "first_ns",
    "events",
)
_NONE = -(2**63)  # server_ns / first_ns not measured


class SampleRows:
    """One window's samples (worker side)."""

    def __init__(self, offset_ns: int) -> None:
        self.offset_ns = offset_ns
        self.rows: list[tuple[int, ...]] = []
        self.outcomes: list[str] = []
        self.errors: dict[int, str] = {}

    def feed(self, s: Sample) -> None:
        o = self.offset_ns
        if s.error:
            self.errors[len(self.rows)] = s.error
        self.outcomes.append(s.outcome)
        self.rows.append(
            (
                s.session,
                s.seq,
                int(s.warmup),
                s.intended_ns + o,
                s.sent_ns + o,
                s.done_ns + o,
                s.bytes_out,
                s.bytes_in,
                _NONE if s.server_ns is None else s.server_ns,
                _NONE if s.first_ns is None else s.first_ns + o,
                s.events,
            )
        )

    def encode(self) -> dict[str, Any]:
        names = sorted(set(self.outcomes))
        code = {n: i for i, n in enumerate(names)}
        a = np.array(self.rows, dtype="<i8").reshape(-1, len(INTS))
        return {
            "n": len(self.rows),
            "ints": a.tobytes(),
            "outcome_names": names,
            "outcomes": bytes(code[n] for n in self.outcomes) if len(names) < 256 else b"",
            "errors": {str(i): e for i, e in self.errors.items()},
        }


def decode(data: Any, session: Any) -> list[Sample]:
    """The samples of `SampleRows.encode`, sessions renumbered by `session(index)`;
    ValueError for data that is not such rows."""
    try:
        n = int(data["n"])
        a = np.frombuffer(bytes(data["ints"]), dtype="<i8").reshape(n, len(INTS))
        names = [str(x) for x in data["outcome_names"]]
        codes = bytes(data["outcomes"])
        errors = {int(k): str(v) for k, v in dict(data.get("errors", {})).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not sample rows: {exc}") from None
    if len(codes) != n:
        raise ValueError("not sample rows: outcomes of another length")
    out = []
    for i, row in enumerate(a.tolist()):
        ses, seq, warm, intended, sent, done, b_out, b_in, server, first, events = row
        out.append(
            Sample(
                session=session(ses),
                seq=seq,
                outcome=names[codes[i]],  # type: ignore[arg-type]  # an Outcome a worker sent
                intended_ns=intended,
                sent_ns=sent,
                done_ns=done,
                bytes_out=b_out,
                bytes_in=b_in,
                server_ns=None if server == _NONE else server,
                warmup=bool(warm),
                first_ns=None if first == _NONE else first,
                events=events,
                error=errors.get(i, ""),
            )
        )
    return out
