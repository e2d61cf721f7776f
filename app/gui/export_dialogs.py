"""The two small choices before an export's file dialog: which connections and which
format for a report; size and format for a plot picture."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.gui.plot_export import DEFAULT_SIZE, MAX_SIDE, MIN_SIDE

REPORT_FORMATS = (
    ("html", "HTML: one page, a section per connection"),
    ("json", "JSON: one file, a summary per connection"),
    ("csv", "CSV: a figures table, and every sample per connection"),
)
PLOT_FORMATS = (("png", "PNG picture"), ("svg", "SVG drawing (scales)"))


@dataclass(frozen=True)
class ReportChoice:
    selected_only: bool
    extension: str  # "html", "json" or "csv"


@dataclass(frozen=True)
class PlotChoice:
    size: QSize
    extension: str  # "png" or "svg"


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class ReportDialog(QDialog):
    def __init__(self, total: int, selected: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export report")
        layout = QVBoxLayout(self)
        self.all_button = QRadioButton(f"All connections ({total})")
        self.all_button.setToolTip("One report of every connection that has run")
        self.selected_button = QRadioButton(f"Selected connections ({selected})")
        self.selected_button.setToolTip(
            "The connections selected in the sidebar (Ctrl/Shift-click to pick several)"
        )
        self.selected_button.setEnabled(selected > 0)
        group = QButtonGroup(self)
        for button in (self.all_button, self.selected_button):
            group.addButton(button)
            layout.addWidget(button)
        (self.selected_button if 1 < selected < total else self.all_button).setChecked(True)
        self.format = QComboBox()
        self.format.setToolTip("The report's file format")
        for ext, text in REPORT_FORMATS:
            self.format.addItem(text, ext)
        form = QFormLayout()
        form.addRow("Format", self.format)
        layout.addLayout(form)
        layout.addWidget(_buttons(self))

    def choice(self) -> ReportChoice:
        return ReportChoice(self.selected_button.isChecked(), str(self.format.currentData()))


class PlotDialog(QDialog):
    def __init__(self, size: QSize = DEFAULT_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export plot")
        form = QFormLayout(self)
        self.width_box, self.height_box = QSpinBox(), QSpinBox()
        sides = (
            (self.width_box, size.width(), "width"),
            (self.height_box, size.height(), "height"),
        )
        for box, value, what in sides:
            box.setRange(MIN_SIDE, MAX_SIDE)
            box.setSuffix(" px")
            box.setValue(value)
            box.setToolTip(f"The picture's {what}, title included")
            form.addRow(what.capitalize(), box)
        self.format = QComboBox()
        self.format.setToolTip("PNG for chats and documents, SVG to scale without blur")
        for ext, text in PLOT_FORMATS:
            self.format.addItem(text, ext)
        form.addRow("Format", self.format)
        form.addRow(_buttons(self))

    def choice(self) -> PlotChoice:
        size = QSize(self.width_box.value(), self.height_box.value())
        return PlotChoice(size, str(self.format.currentData()))


def ask_report(parent: QWidget | None, total: int, selected: int) -> ReportChoice | None:
    dialog = ReportDialog(total, selected, parent)
    return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None


def ask_plot(parent: QWidget | None, size: QSize = DEFAULT_SIZE) -> PlotChoice | None:
    dialog = PlotDialog(size, parent)
    return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
