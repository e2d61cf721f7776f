"""The toolbar's fault editor is built from the fault schema, one row per GUI field."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from app.core import faultschema
from app.core.faultschema import FaultConfig, fault, fault_fields
from app.gui.main_window import MainWindow


@dataclasses.dataclass(frozen=True)
class WiderFaults(FaultConfig):
    burst_ms: float = fault(0.0, unit="ms", bounds=(0.0, 1000.0), help="new", gui=True)
    quiet: int = fault(0, type=int, unit="outputs", help="not on the toolbar")


def _window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, autosave=False)
    qtbot.addWidget(window)
    return window


def test_rows_are_the_schemas_gui_fields(qtbot, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path)
    try:
        assert list(window.fault_inputs) == [f.name for f in fault_fields() if f.gui]
        assert isinstance(window.fault_inputs["disconnect_after"], QSpinBox)
        assert window.fault_inputs["disconnect_after"].specialValueText() == "never"
        drop = window.fault_inputs["drop"]
        assert isinstance(drop, QDoubleSpinBox) and drop.maximum() == 1.0
        assert "probability that an output" in drop.toolTip()
    finally:
        window.shutdown()


def test_a_new_gui_field_gets_a_row_and_is_saved(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faultschema, "FaultConfig", WiderFaults)
    window = _window(qtbot, tmp_path)
    try:
        box = window.fault_inputs["burst_ms"]
        assert "quiet" not in window.fault_inputs
        assert box.suffix() == " ms" and box.maximum() == 1000.0
        box.setValue(250)
        assert window.session().mock.faults["burst_ms"] == 250.0
    finally:
        window.shutdown()
