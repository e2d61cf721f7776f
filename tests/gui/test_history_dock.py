"""The window's history: a run that ends in any panel is stored once, View ▸ History
shows it, and Compare connections puts the selected connections side by side."""

from __future__ import annotations

from app.core.history import HistoryStore
from app.gui.compare_view import CompareView
from tests.support.panels import wait_ended


def _ids(store: HistoryStore) -> set[int]:
    return set(store.ids())


def test_an_ended_run_is_stored_and_listed(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    store = HistoryStore()  # the tests' own file ($RTPROBE_HISTORY, tests/conftest.py)
    before = _ids(store)
    panel = window.add_connection_for("realtime")
    assert panel.start(count=5)
    assert wait_ended(qtbot, panel) == "finished"
    qtbot.waitUntil(lambda: len(_ids(store) - before) == 1, timeout=10_000)
    (new,) = _ids(store) - before
    stored = store.get(new)
    assert stored.state == "finished" and stored.row.sent == 5 and stored.row.source == "gui"
    assert store.histogram(new).count == 5

    window.history_action.trigger()  # Ctrl+H
    assert window.history.dock.isVisible() and window.history_action.isChecked()
    qtbot.waitUntil(lambda: new in [r.id for r in window.history.view.rows], timeout=5_000)
    window.history_action.trigger()
    assert not window.history.dock.isVisible()
    store.close()


def test_a_stopped_run_is_stored_as_stopped(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    store = HistoryStore()
    before = _ids(store)
    panel = window.add_connection_for("ws")
    panel.rate.setValue(50)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.live is not None and panel.live.summary().received > 0)
    panel.stop()
    assert wait_ended(qtbot, panel) == "stopped"
    qtbot.waitUntil(lambda: len(_ids(store) - before) == 1, timeout=10_000)
    (new,) = _ids(store) - before
    assert store.get(new).state == "stopped"
    store.close()


def test_compare_connections_shows_the_selected_runs(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panels = [window.add_connection_for("realtime") for _ in range(3)]
    for panel in panels:
        assert panel.start(count=5)
    for panel in panels:
        assert wait_ended(qtbot, panel) == "finished"
    window.sidebar.clearSelection()
    for row in (0, 2):
        window.sidebar.item(row).setSelected(True)
    window.compare_action.trigger()
    view = window.history.view.compare_view
    assert view is not None and view.isVisible()
    title = panels[0].title.text()  # the same for all three: numbered apart
    assert [r.label for r in view.runs] == [f"{title} (1)", f"{title} (2)"]
    window.sidebar.clearSelection()  # none picked: every connection that ran
    window.compare_action.trigger()
    assert len(view.runs) == 3
    # the history's Compare opens the same one window, not a second one
    window.history.view.compare_window("Compare runs")
    assert window.history.view.compare_view is view
    assert [w for w in window.findChildren(CompareView) if w.isWindow()] == [view]
