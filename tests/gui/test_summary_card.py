"""The end-of-run card on its own: state and reason in colour, figures, verdicts."""

from __future__ import annotations

from app.core.events import RunFinished, Sample, StateChange
from app.core.run_state import FinalState
from app.core.summary import Aggregator
from app.core.verdicts import judge, parse_line
from app.gui.run_colours import state_colour
from app.gui.summary_card import SummaryCard, figures_text


def _summary(n: int):
    agg = Aggregator(transport="ws", target="t")
    agg.feed(StateChange(0, 0, "connected"))
    for i in range(n):
        agg.feed(Sample(0, i, "received", i * 10**8, i * 10**8, i * 10**8 + 3_000_000))
    agg.feed(RunFinished(n * 10**8, "done"))
    return agg.summary()


def test_figures_show_no_rate_for_one_message() -> None:
    assert figures_text(_summary(1)).endswith("rate –")
    many = figures_text(_summary(20))
    assert many.startswith("sent 20 · received 20 · errors 0 · p50 ") and "rate 10.5/s" in many


def test_the_card_colours_state_and_verdicts(qtbot) -> None:
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show()
    summary = _summary(5)
    verdicts = judge(parse_line("p99<1ms, errors==0"), summary)
    card.show_run(FinalState("failed", "connection refused"), summary, verdicts)
    assert card.isVisible() and card.state.text() == "failed: connection refused"
    assert state_colour("failed") in card.state.styleSheet()
    assert card.verdict_words == ["FAIL p99<1ms", "PASS errors==0"]
    html = card.verdicts.text()
    assert "p99&lt;1ms" in html and "3 ms" in html and "#009E73" in html and "#D55E00" in html
    card.show_run(FinalState("finished"), summary, [], "cannot read assertion 'p99<<1'")
    assert card.verdict_words == [] and "not checked: cannot read assertion" in card.verdicts.text()
    card.reset()
    assert not card.isVisible()


def test_state_colours() -> None:
    assert state_colour("finished (12 events lost)") == state_colour("finished")
    assert state_colour("failed") != state_colour("finished") != state_colour("stopped")
    assert state_colour("–") == "#444444"


def test_the_card_and_the_status_note_say_client_saturated(qtbot) -> None:
    from app.core.events import Health
    from app.gui.summary_card import saturation_note

    card = SummaryCard()
    qtbot.addWidget(card)
    card.show()
    calm = _summary(5)
    card.show_run(FinalState("finished"), calm, [])
    assert not card.saturation.isVisible() and saturation_note(calm) == ""
    agg = Aggregator(transport="ws", target="t")
    for i in range(50):
        agg.feed(Sample(0, i, "received", i * 10**7, i * 10**7, i * 10**7 + 60_000_000))
    agg.feed(Health(0, 2.0, 2.0, 1.99, 2.0, 2, 100, 5.0, 70.0, 90.0, 1, 0.1, 0.1, True))
    hot = agg.summary()
    card.show_run(FinalState("finished"), hot, [])
    assert card.saturation.isVisible()
    assert card.saturation.text().startswith("client saturated: event-loop lag p99 70.0 ms")
    assert saturation_note(hot).startswith(" · client saturated: event-loop lag p99 70.0 ms")
    assert ";" not in saturation_note(hot)  # the status bar's line: the verdict's first clause
