"""Progress of timed, counted and open-ended runs, as fraction and text."""

from __future__ import annotations

from app.core.run_progress import OPEN_ENDED_S, Plan, clock, progress


def test_clock() -> None:
    assert (clock(7.4), clock(125), clock(3725)) == ("7 s", "2:05", "1:02:05")


def test_a_timed_run_goes_by_the_clock() -> None:
    p = progress(Plan(duration_s=10.0), 2.5, 0)
    assert p.fraction == 0.25 and p.text == "2 s of 10 s · 8 s left"
    over = progress(Plan(duration_s=10.0), 12.0, 0)  # set-up and the last replies on top
    assert over.fraction == 1.0 and over.text == "10 s done · finishing (12 s since Start)"


def test_a_counted_run_goes_by_messages_and_estimates_the_rest() -> None:
    p = progress(Plan(count=40), 2.0, 10)
    assert p.fraction == 0.25 and p.text == "10 / 40 messages · about 6 s left"
    assert progress(Plan(count=40), 3.0, 40).text == "40 / 40 messages"
    assert progress(Plan(count=40), 0.0, 0).fraction == 0.0


def test_an_open_ended_run_has_no_fraction() -> None:
    for plan in (Plan(), Plan(duration_s=OPEN_ENDED_S)):
        assert plan.open_ended
        p = progress(plan, 65.0, 3)
        assert p.fraction is None and p.text == "1:05 elapsed"
