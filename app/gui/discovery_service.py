"""Endpoint discovery for the GUI: describes an app (app.core.discovery) as a coroutine
on the qasync loop the GUI runs on, as app.gui.mock_control does its HTTP; results and
one-line errors come back as signals. Widgets ask it and listen: they never fetch."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal
from qasync import asyncSlot

from app.core.discovery.describe import describe
from app.core.errors import ProbeError
from app.core.redact import Redactor

TIMEOUT_S = 8.0


class DiscoveryService(QObject):
    sigDescribed = Signal(str, object)  # the target asked, its Description
    sigError = Signal(str, str)  # the target asked, one line

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._asked = 0  # the newest request: older answers are dropped, not shown

    @asyncSlot()
    async def describe(self, target: str, mock_base: str | None, key: str | None) -> None:
        self._asked += 1
        mine = self._asked
        try:
            found = await describe(target, mock_base=mock_base, key=key, timeout_s=TIMEOUT_S)
        except ProbeError as exc:
            if mine == self._asked:
                with contextlib.suppress(RuntimeError):
                    self.sigError.emit(target, Redactor([key]).text(str(exc)))
            return
        if mine == self._asked:
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self.sigDescribed.emit(target, found)
