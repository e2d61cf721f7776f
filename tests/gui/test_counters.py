"""The connection's counter texts, from the typed Summary (no Qt needed)."""

from __future__ import annotations

from app.core.events import EventsDropped, Sample
from app.core.summary import Aggregator
from app.gui.counters import counter_texts


def test_counters_say_when_events_never_reached_the_gui() -> None:
    agg = Aggregator(transport="realtime", target="ws://h/x")
    agg.feed(Sample(0, 0, "received", 0, 0, 178_431_000))
    texts = counter_texts(agg.summary(), "running")
    assert texts["state"] == "running" and texts["p50"].endswith("ms")
    agg.feed(EventsDropped(1, 1234))
    assert counter_texts(agg.summary(), "finished")["state"] == "finished (1,234 events lost)"
