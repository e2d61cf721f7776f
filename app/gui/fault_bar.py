"""The embedded mock's fault settings as one compact row (a dock of the main window):
label and editor per fault of the fault schema, and Apply. Out of the toolbar, so the
toolbar never hides actions behind » on a 1280-pixel screen."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.core import faultschema
from app.gui.network_section import NetworkSection

_SPIN_MAX = 2**31 - 1  # QSpinBox holds a C int

FaultBox = QDoubleSpinBox | QSpinBox


def fault_box(f: faultschema.FaultField) -> FaultBox:
    """The editor of one fault setting, from the fault schema (unit, bounds, help)."""
    box: FaultBox
    if f.type is int:
        box = QSpinBox()
        box.setRange(int(f.low), min(int(f.high if f.high is not None else _SPIN_MAX), _SPIN_MAX))
    else:
        box = QDoubleSpinBox()
        box.setDecimals(3 if f.unit == "probability" else 1)
        box.setSingleStep(0.01 if f.unit == "probability" else 1)
        box.setRange(f.low, f.high if f.high is not None else 1e9)
    if f.zero:
        box.setSpecialValueText(f.zero)
    if f.unit == "ms":
        box.setSuffix(" ms")
    box.setToolTip(f"mock fault {f.name}: {f.help} (applies live to open sessions)")
    return box


class FaultBar(QWidget):
    """`inputs[name]` per fault the GUI shows; `sigApply` when the user asks to apply."""

    sigApply = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.setSpacing(4)
        head = QLabel("<b>Mock faults</b>")
        head.setToolTip("What the embedded mock server does wrong on purpose (View ▸ Mock faults)")
        row.addWidget(head)
        row.addSpacing(6)
        self.inputs: dict[str, FaultBox] = {}
        for f in faultschema.fault_fields():
            if not f.gui:
                continue
            label = QLabel(f.label)
            label.setToolTip(f.help)
            box = fault_box(f)
            label.setBuddy(box)
            row.addWidget(label)
            row.addWidget(box)
            row.addSpacing(6)
            self.inputs[f.name] = box
        self.apply_button = QPushButton("Apply faults")
        self.apply_button.setToolTip("Send these fault settings to the embedded mock server now")
        self.apply_button.clicked.connect(self.sigApply.emit)
        row.addWidget(self.apply_button)
        row.addSpacing(6)
        self.network = NetworkSection()  # presets and custom profiles, applied live
        row.addWidget(self.network)
        row.addStretch(1)

    def values(self) -> dict[str, float | int]:
        return {name: box.value() for name, box in self.inputs.items()}

    def set_values(self, faults: dict[str, float | int | None]) -> None:
        """Every field from `faults`; a fault it does not name goes back to 0 (off)."""
        for name, box in self.inputs.items():
            value = faults.get(name) or 0
            if isinstance(box, QSpinBox):
                box.setValue(int(value))
            else:
                box.setValue(float(value))
