"""Vertical marks on every time plot of a report: the run's network changes.

`render_html` sets the marks for the time it draws (`time_marks`), and every `Frame`
with a time axis draws them (`svg.Frame.svg`): a dashed purple line at each change with
its short label, so each plot shows what it looked like before and after. A ContextVar,
so the plot functions keep their signatures and two reports drawn at once do not mix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from app.core.network.changes import label

MARK_COLOUR = "#7b3294"  # the GUI's (app/gui/network_live.py)
MAX_MARKS = 200

_MARKS: ContextVar[tuple[tuple[float, str], ...]] = ContextVar("report_marks", default=())


@contextlib.contextmanager
def time_marks(changes: Sequence[Mapping[str, Any]]) -> Iterator[None]:
    marks = tuple((float(c.get("t_s", 0.0)), label(c)) for c in changes[:MAX_MARKS])
    token = _MARKS.set(marks)
    try:
        yield
    finally:
        _MARKS.reset(token)


def current() -> tuple[tuple[float, str], ...]:
    return _MARKS.get()
