"""The inspector's Hex tab: one message's frame as offset / hex / ASCII columns.

What the dump holds (the frame as it went, or rebuilt from the decoded message) is
decided in `app.gui.message_format`; this widget only shows it, monospace and unwrapped,
at most `HEX_BYTES` of it (the dump says how much is cut).
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from app.core.events import Message
from app.gui.message_format import HEX_BYTES, hex_text


class HexView(QPlainTextEdit):
    """A read-only, monospace hex dump of one message (or nothing)."""

    def __init__(self, parent: QWidget | None = None, limit: int = HEX_BYTES) -> None:
        super().__init__(parent)
        self.limit = limit
        self.setReadOnly(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setToolTip(
            "The frame's bytes as they went over the wire: offset, hex, ASCII "
            f"(the first {limit // 1024:,} KiB)"
        )

    def show_message(self, message: Message | None) -> None:
        """Dump `message`'s frame; empty for None."""
        if message is None:
            self.setPlainText("")
            return
        self.setPlainText(hex_text(message.data, self.limit, size=message.size, raw=message.raw))
