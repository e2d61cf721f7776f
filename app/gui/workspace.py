"""Where the connection panels live: a scroll area holding them in a grid of 1 to 3
columns (or as many as fit, "auto"), each panel at least `PANEL_MIN_HEIGHT` tall, so a
dozen connections scroll instead of growing the window past the screen or squeezing
plots into strips. "Focus" shows only the selected panel, as large as the area.
With no connections it shows what to do first.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.connection_panel import EXAMPLES, ConnectionPanel

PANEL_MIN_HEIGHT = 560  # form, controls and counters ~250 px; plots get the rest
AUTO = 0  # columns: as many as fit the width
MAX_COLUMNS = 3


class EmptyState(QWidget):
    """No connections yet: one button per transport, and Open session."""

    sigAdd = Signal(str)  # transport
    sigOpen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        head = QLabel("<h2>No connections yet</h2>")
        text = QLabel(
            "Add a connection to test an endpoint: pick its transport below (each starts "
            "with an example target and payload), or open a saved session.<br>"
            "To try it offline, turn on <b>Mock server</b> in the toolbar: "
            "<code>mock/…</code> targets then go to it."
        )
        text.setWordWrap(True)
        # a fixed width and the height its wrapped lines take there: a centred item
        # gets no height-for-width from its layout, and the last line was cut off
        text.setFixedWidth(560)
        text.setMinimumHeight(text.heightForWidth(560))
        for label in (head, text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            outer.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.add_buttons: dict[str, QPushButton] = {}
        for transport in EXAMPLES:
            button = QPushButton(f"+ {transport}")
            button.setToolTip(f"Add a {transport} connection with an example target")
            button.clicked.connect(lambda _=False, t=transport: self.sigAdd.emit(t))
            buttons.addWidget(button)
            self.add_buttons[transport] = button
        self.open_button = QPushButton("Open session…")
        self.open_button.setToolTip("Open a saved session file (Ctrl+O)")
        self.open_button.clicked.connect(self.sigOpen.emit)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        outer.addStretch(2)


class Workspace(QStackedWidget):
    """`set_panels(panels)` lays them out; `columns`, `focus_mode` and `selected` say how."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty = EmptyState()
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.holder = QWidget()
        self.grid = QGridLayout(self.holder)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(6)
        self.area.setWidget(self.holder)
        self.addWidget(self.empty)
        self.addWidget(self.area)
        self.panels: list[ConnectionPanel] = []
        self.columns = AUTO
        self.focus_mode = False
        self.selected: ConnectionPanel | None = None
        self._laid_columns = 0

    # -- what to show --------------------------------------------------------------
    def set_panels(self, panels: list[ConnectionPanel]) -> None:
        self.panels = list(panels)
        if self.selected not in self.panels:
            self.selected = self.panels[0] if self.panels else None
        self.relayout()

    def set_columns(self, columns: int) -> None:
        self.columns = max(AUTO, min(MAX_COLUMNS, columns))
        self.relayout()

    def set_focus_mode(self, on: bool) -> None:
        self.focus_mode = on
        self.relayout()

    def select(self, panel: ConnectionPanel) -> None:
        """Make `panel` the selected one and bring it into view."""
        if panel not in self.panels:
            return
        self.selected = panel
        if self.focus_mode:
            self.relayout()
            return
        self._bring_into_view(panel)
        # a panel just added has its place only after the next layout pass: again then
        QTimer.singleShot(0, self, lambda: self._bring_into_view(panel))

    def _bring_into_view(self, panel: ConnectionPanel) -> None:
        if panel is not self.selected or panel not in self.panels or self.focus_mode:
            return
        if panel.height() > self.area.viewport().height():
            # taller than the view: its top (title, form, counters) in view; Qt's
            # ensureWidgetVisible centres it and cut its title and form off
            top = panel.mapTo(self.holder, QPoint(0, 0)).y()
            self.area.verticalScrollBar().setValue(top)
        else:
            self.area.ensureWidgetVisible(panel, 0, 0)

    def effective_columns(self) -> int:
        """The chosen count, or in auto as many panels as fit side by side."""
        if self.focus_mode:
            return 1
        if self.columns != AUTO:
            return self.columns
        width = self.width() - self.area.verticalScrollBar().sizeHint().width() - 4
        need = max((p.minimumSizeHint().width() for p in self.panels), default=1) + 6
        return max(1, min(MAX_COLUMNS, width // max(need, 1), len(self.panels) or 1))

    def visible_panels(self) -> list[ConnectionPanel]:
        """The panels at least partly in view now: what is worth redrawing (a hook for
        painting only visible plots)."""
        viewport = self.area.viewport()
        if not self.isVisible() or self.currentWidget() is not self.area:
            return []
        out = []
        for panel in self.panels:
            if not panel.isVisible():
                continue
            top_left = panel.mapTo(viewport, QPoint(0, 0))
            if QRect(top_left, panel.size()).intersects(viewport.rect()):
                out.append(panel)
        return out

    # -- layout --------------------------------------------------------------------
    def relayout(self) -> None:
        """Panels into the grid, in order; the empty state when there are none."""
        self.setCurrentWidget(self.area if self.panels else self.empty)
        while self.grid.count():
            self.grid.takeAt(0)
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        columns = self.effective_columns()
        self._laid_columns = columns
        shown = [self.selected] if self.focus_mode and self.selected else self.panels
        for panel in self.panels:
            if panel.parent() is not self.holder:
                panel.setParent(self.holder)  # before showing: never a top-level window
        for i, panel in enumerate(shown):
            panel.setMinimumHeight(PANEL_MIN_HEIGHT)
            self.grid.addWidget(panel, i // columns, i % columns)
        for panel in self.panels:
            panel.setVisible(panel in shown)
        for c in range(columns):
            self.grid.setColumnStretch(c, 1)
        rows = -(-len(shown) // columns) if shown else 0
        for r in range(rows):
            self.grid.setRowStretch(r, 1)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.columns == AUTO and self.panels and self.effective_columns() != self._laid_columns:
            self.relayout()
