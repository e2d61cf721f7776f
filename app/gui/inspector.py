"""The message log and inspector: every frame of a run, filterable, with a detail pane.

Messages arrive from the bridge's 30 Hz timer in batches of up to thousands, so the
log model appends a batch with one `beginInsertRows` and evicts the oldest rows with
one `beginRemoveRows`, keeping at most `capacity` rows; per-row work (the summary
preview) is done lazily, only for rows something looks at. Everything the detail pane
shows is capped (tree nodes, text characters, hex bytes), so one 1 MB message or a
dict of 10,000 keys cannot freeze the GUI.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import reprlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
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

MAX_ROWS = 20_000  # rows the log keeps; older ones are evicted and counted
SUMMARY_CHARS = 160  # one-line preview in the table
STRING_PREVIEW = 48  # characters of a string inside a structure, in the preview
TREE_NODES = 2_000  # nodes in the Tree tab, in all
TREE_CHILDREN = 500  # children of one dict/list shown before "… more"
TREE_DEPTH = 32
TREE_VALUE_CHARS = 200
TEXT_CHARS = 256 * 1024  # characters in the Text tab
HEX_BYTES = 64 * 1024  # bytes in the Hex tab, over all binary fields
IMAGE_SCAN_DEPTH = 3  # root → "images" → [0] → "url" (the mock's diffusion app)
IMAGE_SCAN_NODES = 256

MessageRole = Qt.ItemDataRole.UserRole + 1  # the row's `Message`

ERROR_FG = QBrush(QColor("#B00020"))
ERROR_BG = QBrush(QColor("#FDE2E4"))
FAL_MESSAGE_FG = QBrush(QColor("#0B4F9C"))
FAL_MESSAGE_BG = QBrush(QColor("#E3EEFB"))
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

DIRECTIONS = {"out": "↑ out", "in": "↓ in"}


class Column(IntEnum):
    INDEX = 0
    TIME = 1
    DIRECTION = 2
    KIND = 3
    SIZE = 4
    SEQ = 5
    SUMMARY = 6


HEADERS = ("#", "time (ms)", "dir", "kind", "size", "seq", "summary")
_NUMERIC = (Column.INDEX, Column.TIME, Column.SIZE, Column.SEQ)


def is_error_kind(kind: str) -> bool:
    return "error" in kind


# -- pure helpers: previews, binary fields, images, text (no widgets) -----------------------

_BYTES = (bytes, bytearray, memoryview)
_PRINTABLE = bytes(b if 32 <= b < 127 else ord(".") for b in range(256))


def image_format(data: bytes | bytearray | memoryview) -> str | None:
    """ "PNG", "JPEG", "WebP" or "GIF" from the magic number, else None."""
    head = bytes(data[:12])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    if head.startswith(b"GIF8"):
        return "GIF"
    return None


def _is_data_image(value: str) -> bool:
    return value.startswith("data:image/") and ";base64," in value[:80]


def _children(value: Any) -> Iterator[tuple[str, Any]]:
    """(label, child) of a dict, list/tuple or dataclass instance; nothing otherwise."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k), v
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield f"[{i}]", v
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield f.name, getattr(value, f.name)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list | tuple) or (
        is_dataclass(value) and not isinstance(value, type)
    )


def _join(path: str, label: str) -> str:
    if not path:
        return label
    return path + label if label.startswith("[") else f"{path}.{label}"


def _bytes_label(value: bytes | bytearray | memoryview) -> str:
    fmt = image_format(value)
    return f"<{len(value):,} bytes{', ' + fmt if fmt else ''}>"


class _Full(Exception):
    pass


def summarize(data: Any, limit: int = SUMMARY_CHARS) -> str:
    """A one-line preview of at most `limit` characters; stops walking when full, so
    its cost does not grow with the message."""
    if data is None:
        return ""
    if isinstance(data, str):
        line = data[: limit + 1].replace("\r", " ").replace("\n", " ").replace("\t", " ")
        return line if len(line) <= limit else line[: limit - 1] + "…"
    parts: list[str] = []
    used = 0

    def put(text: str) -> None:
        nonlocal used
        parts.append(text)
        used += len(text)
        if used > limit:
            raise _Full

    def walk(value: Any, depth: int) -> None:
        if isinstance(value, str):
            cut = value[:STRING_PREVIEW]
            put(json.dumps(cut, ensure_ascii=False)[:-1] + ('…"' if len(value) > len(cut) else '"'))
        elif isinstance(value, _BYTES):
            put(_bytes_label(value))
        elif value is None or isinstance(value, bool | int | float):
            put(json.dumps(value))
        elif _is_container(value):
            dict_like = not isinstance(value, list | tuple)
            if is_dataclass(value):
                put(type(value).__name__)
            opening, closing = ("{", "}") if dict_like else ("[", "]")
            if depth >= 4:
                put(opening + "…" + closing)
                return
            put(opening)
            for i, (label, child) in enumerate(_children(value)):
                if i:
                    put(", ")
                if dict_like:
                    put(f"{label}: ")
                walk(child, depth + 1)
            put(closing)
        else:
            put(reprlib.repr(value))

    with contextlib.suppress(_Full):
        walk(data, 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def binary_fields(data: Any, depth: int = 2) -> list[tuple[str, bytes | bytearray | memoryview]]:
    """Raw bytes, or the bytes fields of the top `depth` levels, with their paths."""
    if isinstance(data, _BYTES):
        return [("", data)]
    found: list[tuple[str, bytes | bytearray | memoryview]] = []
    level = [("", data)]
    for _ in range(depth):
        nxt: list[tuple[str, Any]] = []
        for path, value in level:
            for i, (label, child) in enumerate(_children(value)):
                if i >= TREE_NODES:
                    break
                if isinstance(child, _BYTES):
                    found.append((_join(path, label), child))
                elif _is_container(child):
                    nxt.append((_join(path, label), child))
        level = nxt
    return found


def find_image(data: Any) -> tuple[str, bytes | bytearray | memoryview | str] | None:
    """The first image in the top levels of `data`: image bytes (by magic number) or a
    `data:image/…;base64,` URL string, with its path. Visits a bounded number of nodes."""
    queue: list[tuple[str, Any, int]] = [("", data, 0)]
    visited = 0
    while queue and visited < IMAGE_SCAN_NODES:
        path, value, depth = queue.pop(0)
        visited += 1
        if isinstance(value, _BYTES):
            if image_format(value):
                return path, value
        elif isinstance(value, str):
            if _is_data_image(value):
                return path, value
        elif depth < IMAGE_SCAN_DEPTH and _is_container(value):
            for i, (label, child) in enumerate(_children(value)):
                if i >= IMAGE_SCAN_NODES:
                    break
                queue.append((_join(path, label), child, depth + 1))
    return None


def decode_image(value: bytes | bytearray | memoryview | str) -> bytes | None:
    """The image bytes of a `find_image` result (decoding a data URL), or None."""
    if not isinstance(value, str):
        return bytes(value)
    try:
        return base64.b64decode(value.partition(";base64,")[2], validate=False)
    except (binascii.Error, ValueError):
        return None


def hex_dump(data: bytes | bytearray | memoryview, offset: int = 0) -> list[str]:
    """Classic 16-bytes-a-line dump: offset, hex, ASCII."""
    view = memoryview(data).cast("B")
    lines = []
    for start in range(0, len(view), 16):
        chunk = bytes(view[start : start + 16])
        hx = chunk.hex(" ")
        ascii_ = chunk.translate(_PRINTABLE).decode("ascii")
        lines.append(f"{offset + start:08x}  {hx[:23]:<23}  {hx[24:]:<23}  |{ascii_}|")
    return lines


def hex_text(data: Any, limit: int = HEX_BYTES) -> str:
    """The Hex tab: every binary field (or the raw bytes, or a text's UTF-8), at most
    `limit` bytes in all, saying what was left out."""
    parts = binary_fields(data)
    if not parts and isinstance(data, str):
        parts = [("text as UTF-8", data[: limit + 1].encode("utf-8"))]
    if not parts:
        return "(no binary data in this message)"
    out: list[str] = []
    budget = limit
    for n, (path, value) in enumerate(parts, 1):
        size = len(value)
        if path or len(parts) > 1:
            out.append(f"── {path or '(message)'}: {size:,} bytes ──")
        shown = min(size, budget)
        out.extend(hex_dump(memoryview(value).cast("B")[:shown]))
        budget -= shown
        if shown < size:
            out.append(f"… showing the first {shown:,} of {size:,} bytes")
        if budget <= 0:
            if n < len(parts):
                out.append(f"… {len(parts) - n} more binary field(s) not shown")
            break
    return "\n".join(out)


def _json_default(value: Any) -> Any:
    if isinstance(value, _BYTES):
        return _bytes_label(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, set | frozenset):
        return list(value)
    return reprlib.repr(value)


def pretty_text(data: Any, limit: int = TEXT_CHARS) -> str:
    """The Text tab: the text itself, or indented JSON (bytes as `<N bytes>`), stopping
    after `limit` characters; the encoder is consumed lazily, so a huge structure costs
    no more than the part shown."""
    if data is None:
        return ""
    if isinstance(data, str):
        text = data[: limit + 1]
    elif isinstance(data, _BYTES):
        return f"{_bytes_label(data)}: see the Hex tab"
    else:
        encoder = json.JSONEncoder(indent=2, ensure_ascii=False, default=_json_default)
        chunks: list[str] = []
        size = 0
        try:
            for chunk in encoder.iterencode(data):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
        except (TypeError, ValueError, RecursionError):  # bytes keys (msgpack), nesting
            chunks = [reprlib.repr(data)]
        text = "".join(chunks)
    if len(text) > limit:
        return text[:limit] + f"\n… (cut at {limit:,} characters)"
    return text


# -- the log model -----------------------------------------------------------------------


class _Row:
    __slots__ = ("index", "message", "summary")

    def __init__(self, index: int, message: Message) -> None:
        self.index = index
        self.message = message
        self.summary: str | None = None


class MessageLogModel(QAbstractTableModel):
    """A bounded log of `Message`s: appends a batch in one insert, evicts the oldest in
    one removal, and counts what it dropped."""

    def __init__(self, capacity: int = MAX_ROWS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._rows: list[_Row] = []
        self._start = 0  # rows before this were evicted (compacted now and then)
        self._t0: int | None = None
        self.total = 0  # messages ever added (since clear)
        self.evicted = 0  # of which dropped from the log
        self.errors = 0  # messages whose kind contains "error"
        self.kinds: Counter[str] = Counter()

    # -- Qt model interface --
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows) - self._start

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[self._start + index.row()]
        kind = row.message.kind
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            if is_error_kind(kind):
                return ERROR_FG
            return FAL_MESSAGE_FG if kind == "x-fal-message" else None
        if role == Qt.ItemDataRole.BackgroundRole:
            if kind == "x-fal-error":
                return ERROR_BG
            return FAL_MESSAGE_BG if kind == "x-fal-message" else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if index.column() in _NUMERIC else None
        if role == MessageRole:
            return row.message
        return None

    def _display(self, row: _Row, column: int) -> str:
        m = row.message
        if column == Column.INDEX:
            return str(row.index)
        if column == Column.TIME:
            return f"{(m.t_ns - (self._t0 or 0)) / 1e6:.3f}"
        if column == Column.DIRECTION:
            return DIRECTIONS.get(m.direction, m.direction)
        if column == Column.KIND:
            return m.kind
        if column == Column.SIZE:
            return f"{m.size:,}"
        if column == Column.SEQ:
            return "" if m.seq is None else str(m.seq)
        return self._summary(row)

    # -- direct access (the proxy and the inspector skip the QVariant round trip) --
    def message(self, row: int) -> Message:
        return self._rows[self._start + row].message

    def summary(self, row: int) -> str:
        return self._summary(self._rows[self._start + row])

    @staticmethod
    def _summary(row: _Row) -> str:
        if row.summary is None:
            row.summary = summarize(row.message.data)
        return row.summary

    # -- changes --
    def add(self, messages: list[Message]) -> None:
        """Append a batch: one removal for the evicted rows, one insertion for the new."""
        if not messages:
            return
        if self._t0 is None:
            self._t0 = min(m.t_ns for m in messages)
        kinds = Counter(m.kind for m in messages)
        self.kinds.update(kinds)
        self.errors += sum(n for kind, n in kinds.items() if is_error_kind(kind))
        first = self.total + 1
        self.total += len(messages)
        if len(messages) > self.capacity:  # never shown: only counted
            skipped = len(messages) - self.capacity
            self.evicted += skipped
            first += skipped
            messages = messages[skipped:]
        new = [_Row(first + i, m) for i, m in enumerate(messages)]

        rows = self.rowCount()
        excess = rows + len(new) - self.capacity
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            self._start += excess
            self.evicted += excess
            if self._start >= self.capacity:  # amortized O(1) compaction
                del self._rows[: self._start]
                self._start = 0
            self.endRemoveRows()
            rows -= excess
        self.beginInsertRows(QModelIndex(), rows, rows + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._start = 0
        self._t0 = None
        self.total = self.evicted = self.errors = 0
        self.kinds = Counter()
        self.endResetModel()


class MessageFilterProxy(QSortFilterProxyModel):
    """Direction, kind and free-text filters; reads the log's rows directly, and accepts
    without looking when no filter is set (the common case while a run streams)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._log: MessageLogModel | None = None
        self.direction = "all"  # "all", "in" or "out"
        self.kind: str | None = None  # None: all kinds
        self.text = ""  # lower case

    def setSourceModel(self, model: Any) -> None:
        self._log = model if isinstance(model, MessageLogModel) else None
        super().setSourceModel(model)

    @property
    def active(self) -> bool:
        return self.direction != "all" or self.kind is not None or bool(self.text)

    def set_direction(self, direction: str) -> None:
        if direction not in ("all", "in", "out"):
            raise ValueError(f"direction must be all, in or out, not {direction!r}")
        self._change(direction=direction)

    def set_kind(self, kind: str | None) -> None:
        self._change(kind=kind or None)

    def set_text(self, text: str) -> None:
        self._change(text=text.strip().lower())

    def _change(self, **changes: Any) -> None:
        if all(getattr(self, k) == v for k, v in changes.items()):
            return
        self.beginFilterChange()
        for k, v in changes.items():
            setattr(self, k, v)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if not self.active or self._log is None:
            return True
        m = self._log.message(source_row)
        if self.direction != "all" and m.direction != self.direction:
            return False
        if self.kind is not None and m.kind != self.kind:
            return False
        return not self.text or self.text in self._log.summary(source_row).lower()


# -- the widget --------------------------------------------------------------------------


class ImageView(QLabel):
    """A picture scaled to fit (pixelated rather than blurred when enlarged)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(1, 1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def set_source(self, pixmap: QPixmap | None) -> None:
        self.source = pixmap if pixmap is not None else QPixmap()
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self.source.isNull():
            self.clear()
            return
        size = self.size()
        enlarging = size.width() > self.source.width() and size.height() > self.source.height()
        mode = (
            Qt.TransformationMode.FastTransformation
            if enlarging
            else Qt.TransformationMode.SmoothTransformation
        )
        self.setPixmap(self.source.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode))


class MessageInspector(QWidget):
    """The log (filterable table) over a detail pane for the selected message.

    Detail tabs are rendered only when shown, and once per selected message."""

    sigSelected = Signal(object)  # the selected Message, or None

    TREE, TEXT, HEX, IMAGE = range(4)

    def __init__(self, parent: QWidget | None = None, capacity: int = MAX_ROWS) -> None:
        super().__init__(parent)
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
        self.hex = QPlainTextEdit()
        for edit in (self.text, self.hex):
            edit.setReadOnly(True)
            edit.setFont(fixed)
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.image = ImageView()
        self.image_caption = QLabel()
        self.image_caption.setStyleSheet("color: #666")
        image_page = QWidget()
        image_box = QVBoxLayout(image_page)
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
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(bar)
        outer.addWidget(split, 1)
        self._update_counts()

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

    # -- internals --
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
            self.hex.setPlainText(hex_text(data) if self.current is not None else "")
        elif tab == self.IMAGE:
            self._fill_image(data)

    def _fill_tree(self, data: Any) -> None:
        self.tree.clear()
        if self.current is None:
            return
        budget = [TREE_NODES]

        def fill(node: QTreeWidgetItem, value: Any, depth: int) -> None:
            size = _length(value)
            children: list[QTreeWidgetItem] = []
            for i, (label, child) in enumerate(_children(value)):
                if budget[0] <= 0 or i >= TREE_CHILDREN or depth >= TREE_DEPTH:
                    children.append(QTreeWidgetItem([f"… {size - i:,} more", "", ""]))
                    break
                budget[0] -= 1
                child_node = QTreeWidgetItem([label, _tree_value(child), _tree_type(child)])
                children.append(child_node)
                if _is_container(child):
                    fill(child_node, child, depth + 1)
            node.addChildren(children)

        if _is_container(data):
            root = QTreeWidgetItem()
            fill(root, data, 0)
            tops = root.takeChildren()
        else:
            tops = [QTreeWidgetItem(["(message)", _tree_value(data), _tree_type(data)])]
        self.tree.addTopLevelItems(tops)
        if budget[0] >= TREE_NODES - 200:  # small: show it all
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


def _length(value: Any) -> int:
    if isinstance(value, dict | list | tuple):
        return len(value)
    return len(fields(value)) if is_dataclass(value) else 0


def _tree_type(value: Any) -> str:
    if is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__
    return {dict: "object", list: "array", tuple: "array", str: "string"}.get(
        type(value), type(value).__name__
    )


def _tree_value(value: Any) -> str:
    if isinstance(value, _BYTES):
        return _bytes_label(value)
    if isinstance(value, str):
        if len(value) > TREE_VALUE_CHARS:
            return f"{value[:TREE_VALUE_CHARS]}… ({len(value):,} characters)"
        return value
    if isinstance(value, dict):
        return f"{{{len(value):,} keys}}"
    if isinstance(value, list | tuple):
        return f"[{len(value):,} items]"
    if is_dataclass(value) and not isinstance(value, type):
        return ""
    return reprlib.repr(value) if not isinstance(value, bool | int | float) else json.dumps(value)
