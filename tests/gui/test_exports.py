"""Reports of several connections after real runs on the mock: all or the selected
ones, as one JSON, one HTML page, or CSV tables; errors are one line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.gui import export_dialogs
from app.gui.export_dialogs import ReportChoice, ReportDialog
from app.gui.exports import slug
from tests.support.panels import wait_finished


@pytest.fixture
def two_runs(qtbot, window, mock_base: str):
    window.show_mock(mock_base)
    a, b = window.add_connection_for("realtime"), window.add_connection_for("ws")
    a.start(count=20)
    b.start(count=10)
    for panel in (a, b):
        wait_finished(qtbot, panel)
    return a, b


def test_report_of_two_connections_in_three_formats(qtbot, window, two_runs, tmp_path) -> None:
    a, b = two_runs
    assert window.export_reports(tmp_path / "all.json")
    doc = json.loads((tmp_path / "all.json").read_text())
    got = [(c["name"], c["transport"], c["received"]) for c in doc["connections"]]
    assert got == [(a.title.text(), "realtime", 20), (b.title.text(), "ws", 10)]
    assert "report of 2 connections written" in window.statusBar().currentMessage()

    assert window.export_reports(tmp_path / "all.html")
    html = (tmp_path / "all.html").read_text()
    assert '<section id="c1">' in html and '<section id="c2">' in html
    assert html.count("<svg") >= 2 and html.count("<footer>") == 1
    assert a.title.text() in html and b.title.text() in html

    assert window.export_reports(tmp_path / "all.csv")
    with (tmp_path / "all.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["transport"], r["received"]) for r in rows] == [("realtime", "20"), ("ws", "10")]
    assert float(rows[0]["rtt_p99_ms"]) > 0
    samples = sorted(tmp_path.glob("all-*.csv"))
    assert [p.name for p in samples] == [
        f"all-01-{slug(a.title.text())}.csv",
        f"all-02-{slug(b.title.text())}.csv",
    ]
    assert [len(p.read_text().splitlines()) for p in samples] == [21, 11]


def test_selected_connections_through_the_dialogs(
    qtbot, window, two_runs, tmp_path, monkeypatch
) -> None:
    _a, b = two_runs
    window.sidebar.select(b)
    monkeypatch.setattr(
        export_dialogs, "ask_report", lambda _p, total, selected: ReportChoice(True, "json")
    )
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: (str(tmp_path / "picked"), ""))
    window.export_report_action.trigger()
    doc = json.loads((tmp_path / "picked.json").read_text())  # the extension added
    assert [c["transport"] for c in doc["connections"]] == ["ws"]


def test_report_dialog_offers_all_or_selected(qtbot) -> None:
    dialog = ReportDialog(total=3, selected=2)
    qtbot.addWidget(dialog)
    assert dialog.selected_button.isChecked()  # some picked: those, by default
    dialog.format.setCurrentIndex(2)
    assert dialog.choice() == ReportChoice(True, "csv")
    none_picked = ReportDialog(total=3, selected=0)
    qtbot.addWidget(none_picked)
    assert not none_picked.selected_button.isEnabled() and none_picked.all_button.isChecked()


def test_export_errors_are_one_line(qtbot, window, tmp_path: Path) -> None:
    window.add_connection_for("ws")  # never run
    assert not window.export_reports(tmp_path / "r.json")
    assert window.statusBar().currentMessage() == (
        "export failed: nothing to export: run a connection first"
    )
    assert not window.export_reports(tmp_path / "r.txt")
    assert "unknown report type '.txt'" in window.statusBar().currentMessage()
    assert not list(tmp_path.iterdir())
