"""How far a run has got: a fraction and a line of text for a progress bar.

A timed run (a duration) goes by the clock; a counted run by the messages done out of
its total, its remaining time estimated from the pace so far. A run "until stopped"
has no end to measure against: it gets its elapsed time only (`fraction` None).
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN_ENDED_S = 3600.0 * 24  # a duration this long means "until Stop"


@dataclass(frozen=True)
class Plan:
    """What the run was asked to do: `count` messages or `duration_s` seconds."""

    count: int | None = None
    duration_s: float | None = None

    @property
    def open_ended(self) -> bool:
        if self.count:
            return False
        return self.duration_s is None or self.duration_s >= OPEN_ENDED_S


@dataclass(frozen=True)
class Progress:
    fraction: float | None  # 0..1; None: open-ended, show the text only
    text: str


def clock(seconds: float) -> str:
    """ "7 s", "2:05", "1:02:05"."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def progress(plan: Plan, elapsed_s: float, done: int) -> Progress:
    """Where a run is after `elapsed_s` seconds with `done` messages accounted for."""
    elapsed_s = max(0.0, elapsed_s)
    if plan.count:
        total = plan.count
        fraction = min(1.0, done / total)
        text = f"{min(done, total):,} / {total:,} messages"
        if 0 < done < total and elapsed_s > 0:
            left = elapsed_s * (total - done) / done
            text += f" · about {clock(left)} left"
        return Progress(fraction, text)
    if plan.open_ended or not plan.duration_s:
        return Progress(None, f"{clock(elapsed_s)} elapsed")
    duration = plan.duration_s
    if elapsed_s >= duration:
        # the clock counts from Start, the run's duration from its sessions' start: the
        # set-up and the wait for the last replies come on top ("13 s of 12 s" before)
        return Progress(1.0, f"{clock(duration)} done · finishing ({clock(elapsed_s)} since Start)")
    fraction = min(1.0, elapsed_s / duration)
    left = max(0.0, duration - elapsed_s)
    return Progress(fraction, f"{clock(elapsed_s)} of {clock(duration)} · {clock(left)} left")
