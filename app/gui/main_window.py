"""The main window. For now it shows the embedded mock server; the full UI is issue 5."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QMainWindow, QVBoxLayout, QWidget

from app import __version__


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(f"rtprobe {__version__}")
        self.resize(900, 560)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.mock_label = QLabel("embedded mock server: starting…", central)
        self.mock_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.targets = QListWidget(central)
        layout.addWidget(self.mock_label)
        layout.addWidget(QLabel("Example targets on the embedded mock:", central))
        layout.addWidget(self.targets)
        self.setCentralWidget(central)
        self.statusBar().showMessage("ready")

    def show_mock(self, base_url: str) -> None:
        ws = base_url.replace("http://", "ws://")
        self.mock_label.setText(f"embedded mock server: {base_url}")
        self.targets.clear()
        self.targets.addItems(
            [
                f"realtime   {ws}/mock/echo/realtime",
                f"WebSocket  {ws}/mock/echo/ws",
                f"SSE        {base_url}/mock/diffusion/stream",
                f"WebRTC     {ws}/mock/yolo/webrtc",
                f"WebRTC     {ws}/mock/world/realtime",
            ]
        )
        self.statusBar().showMessage(f"mock server listening on {base_url}")

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message)
