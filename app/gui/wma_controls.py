"""The wma flavour's extra controls under the video (docs/protocols.md, 4c): a prompt
field and a Reset button. Keys steer wma like `mock/world` through the video pane's
actions (the session turns them into `commands`); these two send `prompt` and `reset`.
Shown only while the run's signaling is wma (`set_signaling`)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget


class WmaControls(QWidget):
    sigControl = Signal(str, object)  # ("prompt", text) | ("reset", None)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("prompt (Enter sends it)")
        self.prompt.setMaxLength(50_000)
        self.send = QPushButton("Send prompt")
        self.reset = QPushButton("Reset")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.prompt, 1)
        row.addWidget(self.send)
        row.addWidget(self.reset)
        self.prompt.returnPressed.connect(self._send_prompt)
        self.send.clicked.connect(self._send_prompt)
        self.reset.clicked.connect(lambda: self.sigControl.emit("reset", None))
        self.setVisible(False)

    def set_signaling(self, signaling: str) -> None:
        self.setVisible(signaling.startswith("4c-"))

    def _send_prompt(self) -> None:
        text = self.prompt.text().strip()
        if text:
            self.sigControl.emit("prompt", text)
