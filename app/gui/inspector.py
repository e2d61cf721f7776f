"""The message log and inspector: every frame of a run, filterable, with a detail pane.

The log is `app.gui.message_log` (the Qt model and its filter); what the detail tabs
show is `app.gui.message_format` (plain text, no Qt). This module only lays them out:
detail tabs render when first looked at, once per selected message.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QFontDatabase, QImage, QPixmap, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.events import Message
from app.gui.hex_view import HexView
from app.gui.image_view import ImageView
from app.gui.message_format import (
    HEX_BYTES,
    TEXT_CHARS,
    TREE_NODES,
    TreeNode,
    decode_image,
    find_image,
    image_format,
    pretty_text,
    summarize,
    tree_nodes,
)
from app.gui.message_log import (
    MAX_ROWS,
    Column,
    MessageFilterProxy,
    MessageLogModel,
    MessageRole,
)

SMALL_TREE = 200  # nodes up to which the Tree tab opens fully expanded
LIST_ROWS = 10  # rows the log shows at first, where the inspector is tall enough
MIN_LIST_ROWS = 3  # neither side of the splitter shrinks below a few lines
MIN_DETAIL_LINES = 4
SPLIT_KEY = "inspector/split"  # QSettings: where the user last put the splitter

__all__ = [  # the names callers import from here, wherever they now live
    "HEX_BYTES",
    "MAX_ROWS",
    "TEXT_CHARS",
    "TREE_NODES",
    "Column",
    "ImageView",
    "MessageFilterProxy",
    "MessageInspector",
    "MessageLogModel",
    "MessageRole",
    "find_image",
    "summarize",
]


class MessageInspector(QWidget):
    """The log (filterable table) over a detail pane for the selected message, with a
    splitter between them that the user moves and the app's settings remember.

    Detail tabs are rendered only when shown, and once per selected message. Settings
    (the splitter, the image folder) are the ones given, else the top-level window's
    `qsettings` (the main window's), found when first shown; without any, nothing is
    remembered."""

    sigSelected = Signal(object)  # the selected Message, or None
    sigError = Signal(str)  # a one-line problem (an image that could not be saved)

    TREE, TEXT, HEX, IMAGE = range(4)

    def __init__(
        self,
        parent: QWidget | None = None,
        capacity: int = MAX_ROWS,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings: QSettings | None = None
        self._sized = False  # the splitter has its first sizes (restored or default)
        self.model = MessageLogModel(capacity, self)
        self.proxy = MessageFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.current: Message | None = None
        self._rendered: set[int] = set()

        # filters
        self.direction = QComboBox()
        for label, value in (("all directions", "all"), ("↓ in", "in"), ("↑ out", "out")):
            self.direction.addItem(label, value)
        self.direction.currentIndexChanged.connect(self._filters_changed)
        self.kind = QComboBox()
        self.kind.addItem("all kinds", None)
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind.currentIndexChanged.connect(self._filters_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText("search summaries")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filters_changed)
        self.follow = QCheckBox("follow")
        self.follow.setToolTip("Scroll to the newest message as messages arrive")
        self.follow.setChecked(True)
        self.follow.toggled.connect(self._follow_toggled)
        clear = QToolButton()
        clear.setText("Clear")
        clear.clicked.connect(self.clear)
        self.counts = QLabel()
        self.counts.setStyleSheet("color: #666")
        bar = QHBoxLayout()
        for w in (self.direction, self.kind, self.search, self.follow, clear):
            bar.addWidget(w)
        bar.addWidget(self.counts, 1, Qt.AlignmentFlag.AlignRight)

        # table
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring
        rows.setDefaultSectionSize(self.fontMetrics().height() + 4)
        cols = self.table.horizontalHeader()
        cols.setStretchLastSection(True)
        for column, width in zip(Column, (64, 84, 56, 110, 72, 56), strict=False):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        # detail pane
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.tabs = QTabWidget()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["key", "value", "type"])
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnWidth(0, 200)
        self.tree.setColumnWidth(1, 320)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(fixed)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.hex = HexView()
        self.image = ImageView()
        self.image.sigError.connect(self._image_error)
        self.image_caption = QLabel()
        self.image_caption.setStyleSheet("color: #666")
        self.image.sigSaved.connect(lambda path: self.image_caption.setText(f"saved {path}"))
        image_page = QWidget()
        image_box = QVBoxLayout(image_page)
        image_box.setContentsMargins(2, 2, 2, 2)
        image_box.addWidget(self.image_caption)
        image_box.addWidget(self.image, 1)
        self.tabs.addTab(self.tree, "Tree")
        self.tabs.addTab(self.text, "Text")
        self.tabs.addTab(self.hex, "Hex")
        self.tabs.addTab(image_page, "Image")
        self.tabs.currentChanged.connect(self._render)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.tabs)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setHandleWidth(6)
        split.handle(1).setToolTip("Drag to share the height between the log and the detail")
        line = self.fontMetrics().height()
        self.table.setMinimumHeight(self.list_height(MIN_LIST_ROWS))
        self.tabs.setMinimumHeight(self.tabs.tabBar().sizeHint().height() + MIN_DETAIL_LINES * line)
        split.splitterMoved.connect(self._save_split)
        self.split = split
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(bar)
        outer.addWidget(split, 1)
        self._update_counts()
        if settings is not None:
            self.use_settings(settings)

    # -- public API --
    def add_messages(self, messages: list[Message]) -> None:
        """Append a batch (from the bridge's timer); cheap for thousands of messages."""
        if not messages:
            return
        known = len(self.model.kinds)
        self.model.add(messages)
        if len(self.model.kinds) != known:
            self._add_kinds()
        if self.follow.isChecked():
            self.table.scrollToBottom()
        self._update_counts()

    def clear(self) -> None:
        """Empty the log; the filters stay (a chosen kind stays in its list)."""
        self.model.clear()
        chosen = self.kind.currentIndex()
        self.kind.blockSignals(True)
        for i in reversed(range(1, self.kind.count())):
            if i != chosen:
                self.kind.removeItem(i)
        self.kind.blockSignals(False)
        self.show_message(None)
        self._update_counts()

    def show_message(self, message: Message | None) -> None:
        """Show `message` in the detail pane (tabs render when first looked at)."""
        if message is self.current and message is not None:
            return
        self.current = message
        self._rendered.clear()
        self._render(self.tabs.currentIndex())
        self.sigSelected.emit(message)

    def select_row(self, row: int) -> None:
        """Select a row of the (filtered) table, as a click would."""
        self.table.selectRow(row)

    def select_latest(self, direction: str | None = "in") -> Message | None:
        """Select and show the newest shown message going `direction` ("in", "out", or
        None for either), e.g. the reply to *Send once*; the message, or None if the
        log shows none. Looks at the newest rows only (bounded)."""
        rows = self.proxy.rowCount()
        for row in range(rows - 1, max(-1, rows - 1 - 1_000), -1):
            message = self.proxy.index(row, 0).data(MessageRole)
            if message is not None and (direction is None or message.direction == direction):
                self.table.selectRow(row)
                self.show_message(message)
                return message
        return None

    def use_settings(self, settings: QSettings) -> None:
        """Remember the splitter and the image folder in `settings` (and restore them)."""
        self.settings = settings
        self.image.settings = settings
        state = settings.value(SPLIT_KEY)
        if isinstance(state, QByteArray | bytes) and self.split.restoreState(QByteArray(state)):
            self._sized = True

    def list_height(self, rows: int) -> int:
        """Pixels the log needs to show `rows` rows under its header."""
        header = self.table.horizontalHeader().sizeHint().height()
        row = self.table.verticalHeader().defaultSectionSize()
        return header + rows * row + 2 * self.table.frameWidth()

    def default_sizes(self, height: int) -> list[int]:
        """The splitter's first sizes for `height` pixels: the log shows `LIST_ROWS`
        rows, or half the height when that is more, and the detail keeps its minimum."""
        detail_min = self.tabs.minimumHeight()
        list_ = max(self.list_height(LIST_ROWS), height // 2)
        list_ = max(self.table.minimumHeight(), min(list_, height - detail_min))
        return [list_, max(detail_min, height - list_)]

    # -- internals --
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.settings is None:
            found = getattr(self.window(), "qsettings", None)
            if isinstance(found, QSettings):
                self.use_settings(found)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._sized and self.isVisible() and self.split.height() > 0:
            self._sized = True
            self.split.setSizes(self.default_sizes(self.split.height()))

    def _save_split(self, _pos: int, _index: int) -> None:
        if self.settings is not None:
            self.settings.setValue(SPLIT_KEY, self.split.saveState())

    def _image_error(self, text: str) -> None:
        self.image_caption.setText(text)
        self.sigError.emit(text)

    def _add_kinds(self) -> None:
        shown = {self.kind.itemData(i) for i in range(1, self.kind.count())}
        self.kind.blockSignals(True)
        for kind in self.model.kinds:
            if kind not in shown:
                self.kind.addItem(kind, kind)
        self.kind.blockSignals(False)

    def _filters_changed(self) -> None:
        self.proxy.set_direction(self.direction.currentData())
        self.proxy.set_kind(self.kind.currentData())
        self.proxy.set_text(self.search.text())
        self._update_counts()

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self.table.scrollToBottom()

    def _update_counts(self) -> None:
        m = self.model
        text = f"{m.total:,} messages, {m.errors:,} error{'s' if m.errors != 1 else ''}"
        if m.evicted:
            text += f", {m.evicted:,} older ones dropped"
        if self.proxy.active:
            text += f" · {self.proxy.rowCount():,} shown"
        self.counts.setText(text)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        message = current.data(MessageRole) if current.isValid() else None
        if message is not None:
            self.show_message(message)

    def _render(self, tab: int) -> None:
        if tab in self._rendered or tab < 0:
            return
        self._rendered.add(tab)
        data = self.current.data if self.current is not None else None
        if tab == self.TREE:
            self._fill_tree(data)
        elif tab == self.TEXT:
            self.text.setPlainText(pretty_text(data) if self.current is not None else "")
        elif tab == self.HEX:
            self.hex.show_message(self.current)
        elif tab == self.IMAGE:
            self._fill_image(data)

    def _fill_tree(self, data: Any) -> None:
        self.tree.clear()
        if self.current is None:
            return
        tops, used = tree_nodes(data)
        self.tree.addTopLevelItems([_tree_item(node) for node in tops])
        if used <= SMALL_TREE:
            self.tree.expandAll()
        else:
            self.tree.expandToDepth(0)

    def _fill_image(self, data: Any) -> None:
        found = find_image(data) if self.current is not None else None
        if found is None:
            self.image.set_source(None)
            self.image_caption.setText("no image in this message")
            return
        path, value = found
        raw = decode_image(value)
        image = QImage.fromData(raw) if raw else QImage()
        if image.isNull():
            self.image.set_source(None)
            self.image_caption.setText(f"{path or 'message'}: image data that Qt cannot decode")
            return
        self.image.set_source(QPixmap.fromImage(image))
        fmt = image_format(raw) if raw else None
        self.image_caption.setText(
            f"{path or 'message'}: {fmt or 'image'} {image.width()}×{image.height()}, "
            f"{len(raw or b''):,} bytes"
        )


def _tree_item(node: TreeNode) -> QTreeWidgetItem:
    item = QTreeWidgetItem([node.label, node.value, node.type])
    if node.children:
        item.addChildren([_tree_item(child) for child in node.children])
    return item
