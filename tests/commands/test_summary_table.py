"""The live progress line of `rtprobe run`: one line, redrawn in place, cleared at the end."""

from __future__ import annotations

from app.commands.summary_table import Progress
from app.core.events import Sample
from app.core.summary import Aggregator


def test_progress_line_shows_rate_errors_and_percentiles(capsys, monkeypatch) -> None:
    clock = iter([10.0, 11.0])
    monkeypatch.setattr("app.commands.summary_table.time.monotonic", lambda: next(clock))
    agg = Aggregator(transport="ws", target="t")
    progress = Progress(agg, enabled=True)
    progress.tick(force=True)  # t=10: nothing yet
    for seq in range(50):
        outcome = "errored" if seq < 2 else "received"
        agg.feed(Sample(0, seq, outcome, 0, 0, 2_000_000))
    progress.tick(force=True)  # t=11: 50 sent in the last second
    progress.done()
    err = capsys.readouterr().err
    last = err.split("\r\x1b[2K")[-2]
    assert last.strip().startswith("50.0 msg/s  sent 50  recv 48  err 2")
    assert "p50 2.00 ms  p99 2.00 ms" in last
    assert err.endswith("\r\x1b[2K")  # the line is wiped before the summary prints


def test_no_progress_when_not_a_terminal(capsys) -> None:
    progress = Progress(Aggregator(), enabled=False)
    progress.tick(force=True)
    progress.done()
    assert capsys.readouterr().err == ""
