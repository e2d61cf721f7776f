"""Network changes and resolution, the pure parts: the schedule syntax, the events, the
summary line, the resolution tracker and its per-second series."""

from __future__ import annotations

import math

import pytest

from app.core.events import FrameSample
from app.core.network.changes import (
    change_event,
    direction_of,
    format_schedule,
    label,
    parse_schedule,
    summary_line,
)
from app.core.network.impair import NetworkError
from app.core.network.profile import parse_profile
from app.core.network.resolution import ResolutionTracker, summary_text
from app.core.report.timeline import Timeline


def test_schedule_parses_sorts_and_round_trips() -> None:
    s = parse_schedule(["12s:mock:none", "5:3g", "500ms:client:down.rate=300"])
    assert [(x.at_s, x.side, x.spec) for x in s] == [
        (0.5, "client", "down.rate=300"),
        (5.0, "client", "3g"),
        (12.0, "mock", "none"),
    ]
    assert format_schedule(s) == ["0.5s:down.rate=300", "5s:3g", "12s:mock:none"]
    assert parse_schedule(format_schedule(s)) == s


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ("3g", "write TIME:PROFILE"),
        ("soon:3g", "'soon' is not a number"),
        ("-1:3g", "0 s to a week"),
        ("nan:3g", "0 s to a week"),
        ("5s:5g", "unknown network preset"),
        ("5s:mock:", "write TIME:PROFILE"),
    ],
)
def test_bad_schedule_items_are_one_line_errors(item: str, says: str) -> None:
    with pytest.raises(NetworkError) as info:
        parse_schedule([item])
    assert says in str(info.value) and "\n" not in str(info.value)


def test_too_many_scheduled_changes_are_refused() -> None:
    with pytest.raises(NetworkError, match="at most 64"):
        parse_schedule([f"{i}s:3g" for i in range(65)])


def test_change_events_name_direction_and_spec() -> None:
    assert direction_of(parse_profile("down.rate=300")) == "down"
    assert direction_of(parse_profile("up.loss=5%")) == "up"
    assert direction_of(parse_profile("4g")) == "both"
    assert direction_of(parse_profile("none")) == "both"
    e = change_event(1, 10, "client", "delay=100")
    assert (e.session, e.side, e.direction, e.name) == (1, "client", "both", "delay=100")
    assert e.spec == "up.delay=100,down.delay=100"
    assert change_event(None, 10, "mock", parse_profile("3g")).name == "3g"


def test_summary_line_lists_changes_once_in_order() -> None:
    rows = [
        {"t_s": 5.0, "side": "client", "name": "4g", "session": 0},
        {"t_s": 5.01, "side": "client", "name": "4g", "session": 1},  # same change, 2nd session
        {"t_s": 12.0, "side": "mock", "name": "none", "session": 0},
    ]
    assert summary_line(rows) == "4g at 5.0 s, mock none at 12.0 s"
    assert label(rows[2]) == "mock none"


def test_resolution_tracker_counts_sizes_and_changes() -> None:
    r = ResolutionTracker()
    for i in range(10):
        r.frame(0, "in", i, 1280, 720)
    for i in range(10, 14):
        r.frame(0, "in", i, 640, 360)
    r.frame(0, "in", 14, 0, 0)  # no size: ignored
    r.frame(1, "in", 15, 1280, 720)  # another session's first frame is no change
    r.frame(0, "out", 1, 320, 240)
    s = r.summary()
    assert s["in"] == {
        "min": "640x360",
        "median": "1280x720",
        "max": "1280x720",
        "changes": 1,
        "sizes": 2,
    }
    assert s["out"]["changes"] == 0
    assert summary_text(s) == "out 320x240; in 1280x720 (min 640x360, 1 changes)"
    assert ResolutionTracker().summary() == {}


def test_timeline_resolution_per_second_is_a_step_series() -> None:
    tl = Timeline(origin_ns=0)
    for i in range(30):  # 3 s at 10 fps: 1280x720, then 640x360 from t=1.5 s
        w, h = (1280, 720) if i < 15 else (640, 360)
        tl.feed(FrameSample(0, "in", int(i * 1e8), i, 1_000_000, width=w, height=h))
    r = tl.resolution_series("in")
    assert list(r["t_s"]) == [0.0, 1.0, 2.0]
    assert list(r["width"]) == [1280, 640, 640] and list(r["height"]) == [720, 360, 360]
    out = tl.resolution_series("out")
    assert all(math.isnan(v) for v in out["width"])


def test_history_keeps_the_changes_and_the_resolution_series(tmp_path) -> None:
    from app.core.events import NetworkChange
    from app.core.history.record import new_run
    from app.core.history.store import HistoryStore
    from app.core.summary import Aggregator

    agg, tl = Aggregator(transport="webrtc"), Timeline()
    events = [
        FrameSample(0, "in", int(i * 1e8), i, 1_000_000, width=320, height=240) for i in range(20)
    ]
    events.insert(5, NetworkChange(0, int(5e8), "client", "down", "3g", "3g"))
    for e in events:
        agg.feed(e)
        tl.feed(e)
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        run_id = store.add(new_run(agg, timeline=tl, state="finished", source="cli"))
        back = store.get(run_id).summary
        series = store.series(run_id)
    assert [(c["t_s"], c["name"], c["side"]) for c in back.network_changes] == [
        (0.5, "3g", "client")
    ]
    assert list(series["width_in"]) == [320.0, 320.0] and "height_in" in series
