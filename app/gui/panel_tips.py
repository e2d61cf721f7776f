"""Tooltips for the connection panel's controls that have none of their own, set by
the window when it adds a panel (a control that already explains itself keeps its
tooltip): every control of the workspace says what it does."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.gui.connection_panel import ConnectionPanel

TIPS = {  # panel attribute: what the control does
    "transport": "How to talk to the target: fal realtime, raw WebSocket, SSE or WebRTC",
    "target": "An app id (mock/… goes to the embedded mock, others to fal.run) or a URL",
    "payload": "What each message sends (JSON, checked as you type)",
    "payload_format": "How a raw WebSocket sends the payload: JSON text, msgpack or text",
    "max_buffering": "fal's max_buffering for realtime apps (off: the server's default)",
    "headers": "Extra request headers, Name: value; Other: value (secret ones never saved)",
    "video_source": "The video WebRTC sends: synthetic pattern, a file, or a webcam",
    "video_size": "The size of the video sent",
    "video_fps": "Frames per second sent",
    "send_once": "Send one message and show its reply",
    "rate": "Messages per second for Start and Timed test (closed loop: next on reply)",
    "concurrency": "Sessions (connections) that run side by side",
    "duration": "How long a Timed test runs",
    "timed": "Run for the set duration, then stop",
    "stop_button": "Stop this connection's run",
    "clear_button": "Clear the counters, plots and log (Ctrl+L)",
}


def add_tips(panel: ConnectionPanel) -> None:
    for name, tip in TIPS.items():
        widget = getattr(panel, name, None)
        if isinstance(widget, QWidget) and not widget.toolTip():
            widget.setToolTip(tip)
