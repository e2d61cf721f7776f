"""The faults dock's network section: a preset, or a custom profile, and Apply.

Presets and the profile syntax are `app.core.network.profile`'s (the CLI's `--network`
and session files use the same). What Apply does lives in `app.gui.network_live`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.core.network.impair import NetworkError
from app.core.network.profile import PRESETS, describe, parse_profile

CUSTOM = "custom…"
SIDES = (  # text, side (app.gui.network_live), tooltip; short: the dock fits 1280 px
    ("both", "both", "the running WebRTC clients and the whole embedded mock"),
    ("client", "client", "only the running WebRTC clients' own packets"),
    (
        "mock",
        "mock",
        "only the mock's side of each running WebRTC session (the rtprobe mock names "
        "its sessions; other mocks' sessions cannot be reached)",
    ),
)


class NetworkSection(QWidget):
    """`sigApply(spec)` with a profile that parses; `sigError(line)` otherwise."""

    sigApply = Signal(str)
    sigError = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        head = QLabel("<b>Network</b>")
        head.setToolTip(
            "Network conditions, live: WebRTC's RTP/RTCP impaired in the client (and the "
            "embedded mock's peer); realtime, ws and SSE through the mock's toxics"
        )
        row.addWidget(head)
        self.preset = QComboBox()
        for name, profile in PRESETS.items():
            self.preset.addItem(name)
            self.preset.setItemData(self.preset.count() - 1, describe(profile), 3)  # tooltip
        self.preset.addItem(CUSTOM)
        self.preset.setToolTip("A named set of delay, jitter, loss and rate (docs/network.md)")
        row.addWidget(self.preset)
        self.custom = QLineEdit()
        self.custom.setPlaceholderText("delay=100,jitter=20,loss=2%,rate=1000")
        self.custom.setToolTip(
            "A profile: [PRESET,][up.|down.]KEY=VALUE,… with delay ms, jitter ms, loss %, "
            "burst packets, rate kbit/s, queue ms (no up./down.: both ways)"
        )
        self.custom.setMinimumWidth(200)
        row.addWidget(self.custom)
        self.side_box = QComboBox()
        for text, side, tip in SIDES:
            self.side_box.addItem(text, side)
            self.side_box.setItemData(self.side_box.count() - 1, tip, 3)
        self.side_box.setToolTip("Where the profile acts (docs/network.md)")
        row.addWidget(self.side_box)
        self.apply_button = QPushButton("Apply network")
        self.apply_button.setToolTip("Change the network of the running sessions now")
        self.apply_button.clicked.connect(self.apply)
        self.custom.returnPressed.connect(self.apply)
        row.addWidget(self.apply_button)
        self.preset.currentTextChanged.connect(self._preset_changed)
        self._preset_changed(self.preset.currentText())

    def _preset_changed(self, name: str) -> None:
        # shown only for a custom profile: the faults dock stays within 1280 px
        self.custom.setVisible(name == CUSTOM)
        self.custom.setEnabled(name == CUSTOM)

    def spec(self) -> str:
        name = self.preset.currentText()
        return self.custom.text().strip() if name == CUSTOM else name

    def side(self) -> str:
        """Where Apply acts: "both", "client" or "mock" (see `SIDES`)."""
        return str(self.side_box.currentData() or "both")

    def set_spec(self, spec: str) -> None:
        """Show `spec`: a preset name selects it, anything else is a custom profile."""
        name = spec.strip().lower() or "none"
        if name in PRESETS:
            self.preset.setCurrentText(name)
        else:
            self.preset.setCurrentText(CUSTOM)
            self.custom.setText(spec)

    def apply(self) -> None:
        spec = self.spec()
        try:
            parse_profile(spec)
        except NetworkError as exc:
            self.sigError.emit(str(exc))
            return
        self.sigApply.emit(spec)
