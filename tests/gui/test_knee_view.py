"""A stored find-max search in the history view: its row says find-max, and opening it
shows the answer, the knee plot (p50 and p99 against the rate asked) and a row a step."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.history import HistoryStore, new_run
from app.gui.history_view import COLUMNS, ID_ROLE
from tests.core.history.test_findmax_history import RESULT
from tests.gui.test_history_view import _view
from tests.support.runs import measured_run


def test_a_find_max_run_lists_and_opens_its_knee(qtbot, tmp_path: Path, mock_base: str) -> None:
    live = measured_run(mock_base, "ws", count=20)
    path = tmp_path / "history.sqlite3"
    try:
        with HistoryStore(path) as store:
            record = new_run(live.aggregator, source="cli", state="finished")
            run_id = store.add(replace(record, find_max=RESULT))
            plain_id = store.add(record)
    finally:
        live.close()
    view = _view(qtbot, path)
    states = {
        int(view.table.item(r, 0).data(ID_ROLE)): view.table.item(r, COLUMNS.index("state")).text()
        for r in range(view.table.rowCount())
    }
    assert states == {run_id: "find-max, finished", plain_id: "finished"}
    view.select_ids([run_id])
    (window,) = view.open_selected()
    knee = window.knee
    assert knee is not None
    answer = knee.answer.text()
    assert "highest sustainable rate 400.0 msg/s (p99 6.000 ms" in answer
    assert "; stopped by: client saturated (p99 limit 50 ms, 4 of 4 steps)" in answer
    assert knee.steps.rowCount() == len(RESULT.steps)
    assert knee.steps.item(2, 2).text() == "800.0" and knee.steps.item(2, 8).text() == "client"
    assert knee.steps.item(3, 9).text() == "server (mock) saturated"
    curves = knee.plot.getPlotItem().listDataItems()
    assert len(curves) == 2
    xs, ys = curves[1].getData()  # p99, by rate
    assert list(xs) == [200.0, 400.0, 600.0, 800.0] and list(ys) == [4.5, 6.0, 40.0, 80.0]
    window.close()
    view.select_ids([plain_id])
    (plain,) = view.open_selected()
    assert plain.knee is None
    plain.close()
