"""The message log as a Qt model: every frame of a run, bounded, and a filter over it.

Messages arrive from the bridge's 30 Hz timer in batches of up to thousands, so the
log model appends a batch with one `beginInsertRows` and evicts the oldest rows with
one `beginRemoveRows`, keeping at most `capacity` rows; per-row work (the summary
preview) is done lazily, only for rows something looks at.
"""

from __future__ import annotations

from collections import Counter
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from app.core.events import Message
from app.gui.message_format import is_error_kind, summarize

MAX_ROWS = 20_000  # rows the log keeps; older ones are evicted and counted
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


def sse_prefix(message: Message) -> str:
    """An SSE event's own fields before its data's summary ("[event: progress · id: 7]
    "), so they show in the list and its text filter finds them; "" for the rest."""
    fields = message.sse_fields
    if not fields:
        return ""
    return "[" + " · ".join(f"{k}: {v}" for k, v in fields.items()) + "] "


_NUMERIC = (Column.INDEX, Column.TIME, Column.SIZE, Column.SEQ)


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
            row.summary = sse_prefix(row.message) + summarize(row.message.data)
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
