"""The connection form's route row: typing an app id (`mock/echo`, `fal-ai/x`) or an
app URL offers the routes its openapi.json publishes; picking one fills the form
(transport, target, max_buffering, an example payload), and from then on the payload
is checked against that route's input schema as it is typed.

A schema problem is shown, not enforced: sending what the app would refuse is a test
a person may mean to run, so only the run's own checks block Start.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from app.core.discovery.describe import Description, Usage
from app.core.discovery.validate import validate
from app.gui.discovery_service import DiscoveryService

DEBOUNCE_MS = 400  # ask once typing pauses, not per keystroke
_APP_ID = re.compile(r"^(?:(?:workflows|comfy)/)?[A-Za-z0-9._~-]+/[A-Za-z0-9._~-]+")
MOCK_PREFIX = "mock/"
IDLE = "routes: type an app id"


def app_root(target: str) -> str | None:
    """The app a target belongs to (`owner/alias`, or a URL's first two path parts),
    None when it names no app; a route's path does not count, so picking a route
    (which changes the target) does not ask again."""
    target = target.strip()
    if "://" in target:
        parts = urlsplit(target)
        segments = [s for s in parts.path.split("/") if s]
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
            return None
        if len(segments) < 2:
            return None
        return f"{parts.scheme}://{parts.netloc}/{segments[0]}/{segments[1]}"
    match = _APP_ID.match(target)
    return match.group(0) if match else None


class RoutePicker(QWidget):
    sigRoutePicked = Signal(object)  # the Usage picked
    sigSchemaChanged = Signal()  # the schema that checks the payload changed

    def __init__(
        self, service: DiscoveryService | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service or DiscoveryService(self)
        self.service.sigDescribed.connect(self._described)
        self.service.sigError.connect(self._failed)
        # set by the panel: where mock/… ids go, and the key (sent only when asked)
        self.base_provider: Callable[[], str | None] = lambda: None
        self.key_provider: Callable[[], str | None] = lambda: None
        self.routes = QComboBox()
        # beside the target, in its row: neither the routes nor a long status may widen
        # or heighten the panel (its plots would shrink); the status is the placeholder
        self.routes.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.routes.setMinimumContentsLength(12)
        self.routes.activated.connect(self._picked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.routes)
        self._say(IDLE)
        self.description: Description | None = None
        self.usage: Usage | None = None  # the route picked, whose schema checks the payload
        self._root: str | None = None  # the app described (or being described)
        self._target = ""  # the target as it now reads
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._ask)

    def follow(self, target: str) -> None:
        """The target text changed (typed, restored or filled in): a picked route whose
        target it no longer is stops checking the payload; another app's routes go."""
        self._target = target.strip()
        if self.usage is not None and self._target != self.usage.target:
            self.usage = None
            self.sigSchemaChanged.emit()
        if app_root(target) != self._root:
            self._forget()

    def watch(self, target: str) -> None:
        """The user typed in the target: ask once typing pauses, if the app changed.
        Only typing asks: restoring a session or filling in a route sends nothing."""
        root = app_root(target)
        if root == self._root:
            return
        self._forget()
        self._root = root
        if root is not None:
            self._timer.start()

    def _forget(self) -> None:
        self._root = None
        self._timer.stop()
        self.routes.clear()
        self.description = None
        self._say(IDLE)

    def _ask(self) -> None:
        root = self._root
        if root is None:
            return
        base = self.base_provider() if root.startswith(MOCK_PREFIX) else None
        if root.startswith(MOCK_PREFIX) and base is None:
            self._say("the embedded mock server is off: start it to see mock routes")
            return
        self._say("reading openapi.json…")
        self.service.describe(root, base, self.key_provider())

    def _described(self, root: str, description: Description) -> None:
        if root != self._root:
            return  # the user has moved on to another app
        self.description = description
        self.routes.clear()
        for usage in description.usages:
            facts = " · ".join(f for f in (usage.route.transport, usage.route.mode) if f)
            label = f"{usage.route.path}  ({facts or usage.route.kind})"
            self.routes.addItem(label, usage)
            if usage.command is None:  # rtprobe cannot drive it: shown, not offered
                self.routes.model().item(self.routes.count() - 1).setEnabled(False)  # type: ignore[attr-defined]
        self.routes.setCurrentIndex(-1)
        for i, usage in enumerate(description.usages):
            if usage.target == self._target and usage.command:  # typed (or restored) as is
                self.routes.setCurrentIndex(i)
                self.usage = usage
                self.sigSchemaChanged.emit()
        n = sum(1 for u in description.usages if u.command)
        self._say(
            f"{n} route(s) to run" if n else "no route rtprobe can run",
            description.where.openapi_url,
        )

    def _failed(self, root: str, message: str) -> None:
        if root == self._root:
            self._say(message)

    def _say(self, text: str, tip: str | None = None) -> None:
        """Where discovery stands, as the combo's placeholder (shown while none is picked)."""
        self.routes.setPlaceholderText(text)
        self.routes.setToolTip(tip or text)

    def status(self) -> str:
        return self.routes.placeholderText()

    def _picked(self, index: int) -> None:
        usage = self.routes.itemData(index)
        if isinstance(usage, Usage):
            self.usage = usage
            self.sigRoutePicked.emit(usage)

    def pick(self, path: str) -> bool:
        """Pick the route at `path` as a click would (tests, session restore)."""
        for i in range(self.routes.count()):
            usage = self.routes.itemData(i)
            if isinstance(usage, Usage) and usage.route.path == path and usage.command:
                self.routes.setCurrentIndex(i)
                self._picked(i)
                return True
        return False

    def schema_problem(self, payload: str) -> str | None:
        """The first way `payload` breaks the picked route's input schema, or None."""
        if self.usage is None or self.description is None:
            return None
        schema = self.usage.route.input_schema
        if schema is None:
            return None
        try:
            value: Any = json.loads(payload)
        except ValueError:
            return None  # not JSON: the run's own check says so
        problems = validate(self.description.app.document, schema, value)
        return f"schema: {problems[0]}" if problems else None
