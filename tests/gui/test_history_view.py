"""The history view on a real store in tmp_path, with runs measured for real against the
mock: list, filters, open, compare, export, delete, and a damaged or locked file."""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QPoint, Qt

from app.core.assertions import parse
from app.core.history import HistoryStore, RunRow, new_run
from app.core.history.compare import change_pct
from app.core.live import LiveRun
from app.core.report.fmt import fmt_sig
from app.gui.compare_figures import change_text
from app.gui.compare_view import panel_runs
from app.gui.history_view import COLUMNS, EMPTY_TEXT, NO_MATCH_TEXT, HistoryView
from tests.support.panels import wait_finished
from tests.support.runs import measured_run


def _store_live(store: HistoryStore, live: LiveRun, **changes: object) -> int:
    record = new_run(live.aggregator, source="cli", state="finished", timeline=live.timeline)
    return store.add(replace(record, **changes))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def measured(mock_base: str):
    runs = [measured_run(mock_base, "ws", count=30), measured_run(mock_base, "realtime", count=20)]
    yield runs
    for live in runs:
        live.close()


@pytest.fixture
def db(tmp_path: Path, measured) -> tuple[Path, list[int]]:
    """Three runs: ws and realtime today, and the ws run again ten days ago, failed."""
    path = tmp_path / "history.sqlite3"
    ws, realtime = measured
    old = datetime.now(UTC) - timedelta(days=10)
    with HistoryStore(path) as store:
        ids = [
            _store_live(store, ws, state="failed", reason="stopped early", started=old),
            _store_live(store, ws),
            _store_live(store, realtime),
        ]
    return path, ids


def _view(qtbot, path: Path) -> HistoryView:
    view = HistoryView(path)
    qtbot.addWidget(view)
    view.refresh()
    return view


def _column(view: HistoryView, name: str) -> list[str]:
    c = COLUMNS.index(name)
    return [view.table.item(r, c).text() for r in range(view.table.rowCount())]


def test_empty_history_says_what_to_do(qtbot, tmp_path: Path) -> None:
    view = _view(qtbot, tmp_path / "new.sqlite3")
    assert view.message.text() == EMPTY_TEXT and view.table.rowCount() == 0
    assert "rtprobe run" in EMPTY_TEXT
    assert not view.open_button.isEnabled() and not view.compare_button.isEnabled()


def test_lists_newest_first_and_filters(qtbot, db) -> None:
    path, (old, ws, realtime) = db
    view = _view(qtbot, path)
    assert [r.id for r in view.rows] == [realtime, ws, old]
    assert _column(view, "transport") == ["realtime", "ws", "ws"]
    assert _column(view, "state")[2] == "failed: stopped early"
    assert _column(view, "sent") == ["20", "30", "30"]
    p50 = view.rows[0].p50
    assert _column(view, "p50 (ms)")[0] == fmt_sig(p50)

    view.transport_filter.setCurrentText("ws")
    assert [r.id for r in view.rows] == [ws, old]
    view.target_filter.setText("ECHO/WS")  # part of the target, any case
    assert [r.id for r in view.rows] == [ws, old]
    view.target_filter.setText("nothing-like-this")
    assert view.rows == [] and view.message.text() == NO_MATCH_TEXT
    view.target_filter.clear()
    view.transport_filter.setCurrentIndex(0)
    today = QDate.currentDate()
    view.date_from.setDate(today.addDays(-1))
    assert {r.id for r in view.rows} == {ws, realtime}
    view.date_from.setDate(view.date_from.minimumDate())  # "any"
    view.date_to.setDate(today.addDays(-5))
    assert [r.id for r in view.rows] == [old]


def test_open_shows_the_stored_runs_plots(qtbot, db, measured) -> None:
    path, (_old, ws, _rt) = db
    view = _view(qtbot, path)
    view.select_ids([ws])
    assert view.open_button.isEnabled() and not view.compare_button.isEnabled()
    (window,) = view.open_selected()
    assert window.isVisible() and f"#{ws}" in window.windowTitle()
    assert "state: finished" in window.header.text()
    slot = window.plots._slots[0]
    x, y = slot.cdf.getOriginalDataset()
    assert y[-1] == pytest.approx(100.0)
    assert x[-1] == pytest.approx(measured[0].aggregator.rtt.summary().max, rel=2e-3)
    _t, received = slot.rate.getOriginalDataset()
    assert received.sum() == 30
    window.close()


def test_open_says_how_a_run_ended_and_its_verdicts(qtbot, tmp_path: Path, measured) -> None:
    ws = measured[0]
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        record = new_run(
            ws.aggregator,
            source="gui",
            state="failed",
            reason="connection refused",
            timeline=ws.timeline,
            thresholds=[parse("p99<60s"), parse("errors>0")],
        )
        run_id = store.add(record)
    view = _view(qtbot, path)
    view.select_ids([run_id])
    (window,) = view.open_selected()
    lines = window.header.text().splitlines()
    assert lines[1] == "state: failed: connection refused"
    assert lines[2] == "pass  p99<60s"
    assert lines[3].startswith("FAIL  errors>0 (") and len(lines) == 4
    window.close()


def test_compare_two_runs_table_is_the_histograms_change(qtbot, db) -> None:
    path, (_old, ws, realtime) = db
    view = _view(qtbot, path)
    view.select_ids([ws, realtime])
    assert view.compare_button.isEnabled()
    compare = view.compare_selected()
    assert compare is not None and compare.isVisible()
    with HistoryStore(path) as store:
        a, b = store.histogram(ws), store.histogram(realtime)  # the older run is the baseline
    header, *_rows = compare.rows_text()
    assert header[1].startswith(f"#{ws} ") and header[3] == f"Δ {header[2]}"
    for figure, p in (("round trip p50 (ms)", 50), ("round trip p99 (ms)", 99)):
        change = change_pct(a.percentile_ms(p), b.percentile_ms(p))
        assert change is not None
        sign = "+" if change > 0 else "−"
        assert compare.cell(figure, header[3]) == f"{sign}{fmt_sig(abs(change))} %"
        assert compare.cell(figure, header[1]) == fmt_sig(a.percentile_ms(p))


def test_delete_asks_first(qtbot, db) -> None:
    path, (old, ws, realtime) = db
    view = _view(qtbot, path)
    asked: list[str] = []
    view.confirm = lambda text: asked.append(text) or False
    view.select_ids([old, ws])
    assert view.delete_selected() == 0 and len(view.rows) == 3
    assert asked == ["Delete 2 runs from the history? This cannot be undone."]
    view.confirm = lambda text: True
    with qtbot.waitSignal(view.sigStatus) as status:
        assert view.delete_selected() == 2
    assert status.args == ["deleted 2 runs from the history"]
    assert [r.id for r in view.rows] == [realtime]
    with HistoryStore(path) as store:
        assert store.ids() == [realtime]


def test_export_html_json_and_csv(qtbot, db, tmp_path: Path) -> None:
    path, (_old, ws, _rt) = db
    view = _view(qtbot, path)
    view.select_ids([ws])
    out = tmp_path / "run.json"
    view.ask_export_path = lambda suggested: out
    assert view.export_selected() == out
    data = json.loads(out.read_text())
    assert data["sent"] == 30 and data["transport"] == "ws"  # the run's --json summary
    html = tmp_path / "run.html"
    view.ask_export_path = lambda suggested: html
    assert view.export_selected() == html and "<svg" in html.read_text()
    csv_out = tmp_path / "run.csv"
    view.ask_export_path = lambda suggested: csv_out
    assert view.export_selected() == csv_out
    lines = csv_out.read_text().splitlines()
    header = lines[0].split(",")
    assert header[0] == "t_s" and "received" in header
    col = header.index("received")
    assert sum(float(line.split(",")[col]) for line in lines[1:]) == 30
    view.ask_export_path = lambda suggested: tmp_path / "run.pdf"
    with qtbot.waitSignal(view.sigStatus) as status:
        assert view.export_selected() is None
    assert "run.pdf" in status.args[0] and ".html" in status.args[0]
    assert "\n" not in status.args[0]


def test_damaged_file_is_one_line_and_fixed_file_reads(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, it is a text file\n" * 100)
    view = HistoryView(path)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sigStatus) as status:
        view.refresh()
    line = status.args[0]
    assert "\n" not in line and "not a valid rtprobe history" in line
    assert view.message.text() == line and view.table.rowCount() == 0
    path.unlink()  # the user moves it away: the next refresh starts a new history
    view.refresh()
    assert view.message.text() == EMPTY_TEXT


def test_locked_file_is_one_line(qtbot, db) -> None:
    path, _ids = db
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        view = HistoryView(path)
        qtbot.addWidget(view)
        with qtbot.waitSignal(view.sigStatus) as status:
            view.refresh()
        assert "locked" in status.args[0] and "\n" not in status.args[0]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    view.refresh()
    assert len(view.rows) == 3


def test_a_stored_run_beside_the_windows_connections(qtbot, window, mock_base, db) -> None:
    path, (_old, ws, _rt) = db
    view = _view(qtbot, path)
    assert view.compare_live_button.isHidden()  # no connections to compare with
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    view.live_runs = lambda: panel_runs([panel])
    view.select_ids([ws])
    assert not view.compare_live_button.isHidden() and view.compare_live_button.isEnabled()
    assert panel.start(count=15)
    compare = view.compare_with_connections()
    assert compare is not None
    wait_finished(qtbot, panel)
    qtbot.waitUntil(lambda: compare.runs[-1].summary.received == 15, timeout=5_000)
    header = compare.rows_text()[0]
    assert header[1].startswith(f"#{ws} ") and header[2] == panel.title.text()
    with HistoryStore(path) as store:
        base = store.histogram(ws).percentile_ms(50)
    change = change_pct(base, panel.live.aggregator.rtt.percentile_ms(50))
    assert compare.cell("round trip p50 (ms)", header[3]) == change_text(change)
    compare.follow(None)


def test_keys_open_and_delete_and_the_list_keeps_its_selection(qtbot, db) -> None:
    path, (old, ws, realtime) = db
    view = HistoryView(path)
    qtbot.addWidget(view)
    view.show()  # showing it reads the store
    qtbot.waitUntil(lambda: len(view.rows) == 3, timeout=5_000)
    view.select_ids([ws])
    view.refresh()
    assert view.selected_ids() == [ws]
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus, timeout=5_000)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert [w.run_id for w in view.opened] == [ws]
    view.confirm = lambda text: True
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert [r.id for r in view.rows] == [realtime, old]


def test_a_long_history_lists_the_newest_and_says_so(qtbot, db, monkeypatch) -> None:
    from app.gui import history_view

    path, (_old, ws, realtime) = db
    monkeypatch.setattr(history_view, "MAX_LISTED", 2)
    view = _view(qtbot, path)
    assert [r.id for r in view.rows] == [realtime, ws]
    assert view.message.text() == "the newest 2 runs; narrow the filters to see older ones"


class _ListedRuns:
    """A store that lists these rows (the view only asks `list` to fill its table)."""

    def __init__(self, rows: list[RunRow]) -> None:
        self.rows = rows

    def list(self, **_filters: object) -> list[RunRow]:
        return list(self.rows)

    def close(self) -> None:
        pass


def _row(run_id: int, day: int, **figures: object) -> RunRow:
    values: dict = dict(source="gui", transport="ws", target="t", state="finished", reason="")
    values |= dict(p50=1.0, p99=2.0, sent=1, errors=0, rate=1.0) | figures
    return RunRow(id=run_id, started=datetime(2026, 11, day, 9, tzinfo=UTC), **values)


def test_every_column_sorts_by_its_value_not_its_text(qtbot) -> None:
    """Numbers as numbers ("9" < "10" < "100", "200" < "1,000"), the date as a date,
    words without case; a click on a header sorts by it, a second click reverses."""
    rows = [  # newest first, as the store lists them
        _row(3, 30, source="cli", transport="sse", target="B/x", state="stopped",
             p50=9.5, p99=math.nan, sent=9, errors=10, rate=1000.0),
        _row(2, 9, source="gui", transport="realtime", target="a/y", state="failed",
             reason="boom", p50=10.25, p99=120.0, sent=100, errors=2, rate=200.0),
        _row(1, 10, source="locust", transport="ws", target="c/z",
             p50=0.95, p99=15.0, sent=10, errors=0, rate=35.5),
    ]  # fmt: skip
    view = HistoryView()
    view.store = lambda: _ListedRuns(rows)  # type: ignore[method-assign]
    qtbot.addWidget(view)
    view.refresh()
    assert view.shown_ids() == [3, 1, 2]  # newest first: 30, 10 and 9 November
    expected = {
        "when": [2, 1, 3],
        "source": [3, 2, 1],
        "transport": [2, 3, 1],
        "target": [2, 3, 1],  # "a/y" < "B/x" < "c/z", whatever the case
        "state": [2, 1, 3],  # failed: boom < finished < stopped
        "p50 (ms)": [1, 3, 2],  # 0.95 < 9.5 < 10.2
        "p99 (ms)": [3, 1, 2],  # none (–) < 15 < 120
        "sent": [3, 1, 2],  # 9 < 10 < 100
        "errors": [1, 2, 3],  # 0 < 2 < 10
        "rate (msg/s)": [1, 2, 3],  # 35.5 < 200 < 1,000
    }
    assert set(expected) == set(COLUMNS)
    header = view.table.horizontalHeader()
    for name, ascending in expected.items():
        c = COLUMNS.index(name)
        view.table.sortItems(c, Qt.SortOrder.AscendingOrder)
        assert view.shown_ids() == ascending, name
        qtbot.mouseClick(  # a second click on the header reverses it
            header.viewport(), Qt.MouseButton.LeftButton, pos=_header_centre(header, c)
        )
        assert view.shown_ids() == ascending[::-1], name
    assert _column(view, "rate (msg/s)") == ["1,000", "200", "35.5"]
    # selection and actions follow the runs, not the rows' positions
    view.table.sortItems(COLUMNS.index("sent"), Qt.SortOrder.AscendingOrder)
    view.table.selectRow(2)  # 100 sent: run 2
    assert view.selected_ids() == [2]
    view.select_ids([1, 3])
    assert view.selected_ids() == [3, 1]  # newest first, whatever the sort
    view.refresh()  # read again: the sort and the selection stay
    assert view.shown_ids() == [3, 1, 2] and view.selected_ids() == [3, 1]


def _header_centre(header, column: int) -> QPoint:
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    return QPoint(x, header.height() // 2)
