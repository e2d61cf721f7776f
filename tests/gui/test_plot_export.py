"""Plot pictures: the title (name, transport, target), the legend and axes of the
plots, at the size asked for, as PNG and SVG; the panel's own plots unchanged after."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog

from app.gui import export_dialogs
from app.gui.export_dialogs import PlotChoice, PlotDialog
from app.gui.plot_export import TITLE_TEXT_KEY
from tests.support.panels import wait_finished


def _run(qtbot, window, mock_base: str):
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    panel.rate.setValue(200)
    panel.start(duration_s=1.5)
    wait_finished(qtbot, panel)
    return panel


def test_png_and_svg_with_title_legend_and_size(qtbot, window, mock_base, tmp_path) -> None:
    panel = _run(qtbot, window, mock_base)
    before = panel.plots.ci.geometry()
    title, _ = window.plot_title(panel)
    assert panel.transport.currentText() in title and panel.target.text() in title

    assert window.export_plot(tmp_path / "p.png", panel, QSize(900, 600))
    image = QImage(str(tmp_path / "p.png"))
    assert image.size() == QSize(900, 600)
    assert image.text(TITLE_TEXT_KEY) == title
    white = QColor("white").rgb()
    band = [image.pixel(x, y) for y in range(5, 40) for x in range(10, 600, 3)]
    assert sum(p != white for p in band) > 50  # the title is drawn, not only stored
    assert panel.plots.ci.geometry() == before

    assert window.export_plot(tmp_path / "p.svg", panel, QSize(1200, 700))
    svg = (tmp_path / "p.svg").read_text()
    assert re.search(r'width="[0-9.]+(mm|px)?"', svg)
    assert 'viewBox="0 0 1200 700"' in svg
    assert f"<title>{title}</title>" in svg
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert title in drawn  # drawn as text, above the plots
    for text in ("round trip", "received/s", "p99"):  # axes, legend, the p99 line
        assert text in svg, text


def test_plot_dialog_and_errors(qtbot, window, mock_base, tmp_path, monkeypatch) -> None:
    panel = _run(qtbot, window, mock_base)
    dialog = PlotDialog(QSize(800, 450))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(1)
    assert dialog.choice() == PlotChoice(QSize(800, 450), "svg")
    monkeypatch.setattr(
        export_dialogs, "ask_plot", lambda _p, _s: PlotChoice(QSize(640, 400), "png")
    )
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: (str(tmp_path / "x"), ""))
    window.select_connection(panel)
    window.export_plot_action.trigger()
    assert QImage(str(tmp_path / "x.png")).size() == QSize(640, 400)
    assert window.plot_size == QSize(640, 400)  # proposed next time
    assert not window.export_plot(tmp_path / "x.gif", panel)
    assert "unknown plot format '.gif'" in window.statusBar().currentMessage()
    assert not window.export_plot(tmp_path / "no" / "x.png", panel)
    assert window.statusBar().currentMessage().startswith("plot not exported: could not write")
    assert not window.export_plot(tmp_path / "no" / "x.svg", panel)
    assert "no such folder" in window.statusBar().currentMessage()


def test_plot_of_a_connection_that_never_ran(qtbot, window, tmp_path: Path) -> None:
    panel = window.add_connection_for("sse")
    assert window.export_plot(tmp_path / "empty.png", panel, QSize(400, 300))
    assert window.plot_title(panel)[1] == "no run yet"
