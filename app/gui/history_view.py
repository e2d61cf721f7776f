"""Run history in the window: every stored run (GUI and `rtprobe run`), filtered by
target, transport and date, reopened, compared, exported or deleted.

The view reads the same SQLite store as `rtprobe runs` (`app.core.history`). A store that
cannot be used (not a database, locked, unwritable) is one line in the view and on the
status bar, never a traceback; the runs in the window are not affected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ProbeError
from app.core.history import HistoryError, HistoryStore, RunRow
from app.core.report.fmt import fmt_sig
from app.core.sessions import registry
from app.gui.compare_figures import CompareRun
from app.gui.compare_view import CompareView
from app.gui.history_runs import EXPORT_FILTER, compare_run, export_run, run_title, sort_keys
from app.gui.knee_view import KneeView

COLUMNS: tuple[str, ...] = ("when", "source", "transport", "target", "state")
COLUMNS += ("p50 (ms)", "p99 (ms)", "sent", "errors", "rate (msg/s)")
EMPTY_TEXT = "No runs yet. Run a connection or `rtprobe run …`; runs appear here."
NO_MATCH_TEXT = "No stored run matches these filters."
ANY_TRANSPORT = "any transport"
NO_DATE = QDate(2000, 1, 1)  # the date edits' minimum, shown as "any"
ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # what a column sorts by (history_runs.sort_keys)
MAX_LISTED = 2000  # rows in the table; the filters reach older runs


@dataclass(frozen=True)
class Filters:
    """The list's filters: a part of the target, a transport, a start-time range."""

    target: str | None = None
    transport: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def narrowed(self) -> bool:
        return any(v is not None for v in (self.target, self.transport, self.since, self.until))


class _Cell(QTableWidgetItem):
    """A list cell that sorts by its run's value (a date, a number), not its text:
    "9" before "10", "2026-12-01" after "2026-11-30"."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return bool(mine < theirs)


class HistoryView(QWidget):
    """The stored runs, newest first. Emits one-line messages on `sigStatus`."""

    sigStatus = Signal(str)

    def __init__(self, path: Path | str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run history")
        self.path = path  # None: $RTPROBE_HISTORY or the user's data directory
        self._store: HistoryStore | None = None
        self.rows: list[RunRow] = []
        self.opened: list[QWidget] = []  # windows of reopened runs, kept alive
        self.compare_view: CompareView | None = None
        # asked before deleting / for an export file; tests and scripts replace them
        self.confirm: Callable[[str], bool] = self._ask_yes_no
        self.ask_export_path: Callable[[str], Path | None] = self._ask_path
        # the window's live connections as runs to compare (`compare_view.panel_runs`);
        # None hides "Compare with connections"
        self.live_runs: Callable[[], list[CompareRun]] | None = None
        self._build()

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        filters = QHBoxLayout()
        self.target_filter = QLineEdit()
        self.target_filter.setPlaceholderText("target contains…")
        self.target_filter.setToolTip("Show runs whose target contains this text")
        self.target_filter.setClearButtonEnabled(True)
        self.transport_filter = QComboBox()
        self.transport_filter.addItems([ANY_TRANSPORT, *registry.TRANSPORTS])
        self.transport_filter.setToolTip("Show runs of one transport")
        self.date_from = self._date_edit("Show runs started on or after this day")
        self.date_to = self._date_edit("Show runs started on or before this day")
        filters.addWidget(self.target_filter, 2)
        filters.addWidget(self.transport_filter)
        filters.addWidget(QLabel("from"))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.date_to)
        layout.addLayout(filters)

        self.message = QLabel(EMPTY_TEXT)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("target"), QHeaderView.ResizeMode.Stretch)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COLUMNS.index("when"), Qt.SortOrder.DescendingOrder)
        header.setToolTip("Click a column to sort by it; again to reverse")
        for name in ("p50 (ms)", "p99 (ms)", "sent", "rate (msg/s)"):
            head = self.table.horizontalHeaderItem(COLUMNS.index(name))
            assert head is not None  # set by setHorizontalHeaderLabels
            head.setToolTip("For a video run without messages: its frames (latency, sent, fps)")
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        for keys, slot in (
            (QKeySequence.StandardKey.Delete, self.delete_selected),
            (QKeySequence(Qt.Key.Key_Return), self.open_selected),
        ):
            action = QAction(self.table)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _c=False, f=slot: f())
            self.table.addAction(action)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.open_button = self._button(
            "Open", "Reopen the selected runs' plots", self.open_selected
        )
        self.compare_button = self._button(
            "Compare", "Compare the selected runs (two or more)", self.compare_selected
        )
        self.compare_live_button = self._button(
            "Compare with connections",
            "Compare the selected runs with the window's connections, following them live",
            self.compare_with_connections,
        )
        self.export_button = self._button(
            "Export…", "Write the selected run as a report (HTML, JSON, CSV)", self.export_selected
        )
        self.delete_button = self._button(
            "Delete…", "Delete the selected runs from the history", self.delete_selected
        )
        self.refresh_button = self._button("Refresh", "Read the history again", self.refresh)
        for b in (
            self.open_button,
            self.compare_button,
            self.compare_live_button,
            self.export_button,
            self.delete_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        layout.addLayout(buttons)

        self.target_filter.textChanged.connect(lambda _t: self.refresh())
        self.transport_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.date_from.dateChanged.connect(lambda _d: self.refresh())
        self.date_to.dateChanged.connect(lambda _d: self.refresh())
        self._selection_changed()

    def _date_edit(self, tip: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("any")  # shown at the minimum: no bound
        edit.setDate(NO_DATE)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setToolTip(tip + " (its lowest value, “any”, sets no bound)")
        return edit

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda: slot())
        return button

    # -- the store -----------------------------------------------------------------
    def store(self) -> HistoryStore:
        """The open store; opened (and created or migrated) on first use."""
        if self._store is None:
            self._store = HistoryStore(self.path)
        return self._store

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _fail(self, exc: ProbeError) -> None:
        """A store that cannot be used: one line here and on the status bar."""
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.message.setText(line)
        self.sigStatus.emit(line)
        if isinstance(exc, HistoryError):
            self.close_store()  # opened again on the next try: the file may be fixed

    # -- filters and the list ------------------------------------------------------
    def filters(self) -> Filters:
        """What `HistoryStore.list` is asked for, from the filter widgets."""
        transport = self.transport_filter.currentText()
        since = until = None
        if self.date_from.date() != NO_DATE:
            since = datetime.combine(_day(self.date_from.date()), time.min)
        if self.date_to.date() != NO_DATE:
            until = datetime.combine(_day(self.date_to.date()), time.max)
        return Filters(
            target=self.target_filter.text().strip() or None,
            transport=None if transport == ANY_TRANSPORT else transport,
            since=since,
            until=until,
        )

    def refresh(self) -> None:
        """Read the list again with the filters as set; the selection stays on the same
        runs where they are still listed."""
        f = self.filters()
        kept = self.selected_ids() if self.rows else []
        try:
            rows = self.store().list(
                target=f.target,
                transport=f.transport,
                since=f.since,
                until=f.until,
                limit=MAX_LISTED + 1,
            )
        except ProbeError as exc:
            self.rows = []
            self.table.setRowCount(0)
            self._fail(exc)
            self._selection_changed()
            return
        self.rows = rows[:MAX_LISTED]
        self._fill(self.rows)
        if len(rows) > MAX_LISTED:
            self.message.setText(
                f"the newest {MAX_LISTED:,} runs; narrow the filters to see older ones"
            )
        elif rows:
            self.message.setText(f"{len(rows):,} run{'s' if len(rows) != 1 else ''}")
        else:
            self.message.setText(NO_MATCH_TEXT if f.narrowed else EMPTY_TEXT)
        if kept:
            self.select_ids(kept)
        self._selection_changed()

    def _fill(self, rows: list[RunRow]) -> None:
        self.table.setSortingEnabled(False)
        self.table.clearContents()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            keys = sort_keys(row)
            state = row.state + (f": {row.reason}" if row.reason else "")
            state = ("find-max, " if row.kind == "find-max" else "") + state
            cells = (
                row.started.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                row.source,
                row.transport,
                row.target,
                state,
                fmt_sig(row.p50),
                fmt_sig(row.p99),
                f"{row.sent:,}",
                f"{row.errors:,}",
                fmt_sig(row.rate),
            )
            for c, text in enumerate(cells):
                item = _Cell(text)
                item.setData(ID_ROLE, row.id)
                item.setData(SORT_ROLE, keys[c])
                if c >= COLUMNS.index("p50 (ms)"):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if c == COLUMNS.index("state"):
                    item.setToolTip(state)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)  # sorts by the header's column, as last clicked

    def shown_ids(self) -> list[int]:
        """The listed runs' ids, top to bottom, as the table is sorted now."""
        items = (self.table.item(r, 0) for r in range(self.table.rowCount()))
        return [int(item.data(ID_ROLE)) for item in items if item is not None]

    def selected_ids(self) -> list[int]:
        """The selected runs' ids, newest first (whatever the list is sorted by)."""
        shown = self.shown_ids()
        chosen = {shown[i.row()] for i in self.table.selectionModel().selectedRows()}
        return [row.id for row in self.rows if row.id in chosen]

    def select_ids(self, ids: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for r, run_id in enumerate(self.shown_ids()):
            if run_id in ids:
                self.table.selectRow(r)
        self.table.setSelectionMode(mode)

    def _selection_changed(self) -> None:
        n = len(self.selected_ids()) if self.rows else 0
        self.open_button.setEnabled(n >= 1)
        self.export_button.setEnabled(n == 1)
        self.delete_button.setEnabled(n >= 1)
        self.compare_button.setEnabled(n >= 2)
        self.compare_live_button.setVisible(self.live_runs is not None)
        self.compare_live_button.setEnabled(n >= 1)

    # -- actions -------------------------------------------------------------------
    def open_selected(self) -> list[QWidget]:
        """A window per selected run with its plots, figures and verdicts."""
        windows: list[QWidget] = []
        for run_id in self.selected_ids():
            try:
                view = RunView(self.store(), run_id)
            except (ProbeError, KeyError) as exc:
                self._fail(_as_probe_error(exc))
                break
            view.setParent(self, Qt.WindowType.Window)
            view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            view.destroyed.connect(lambda _o=None, v=view: self._forget(v))
            view.resize(1000, 700)
            view.show()
            self.opened.append(view)
            windows.append(view)
        return windows

    def _forget(self, view: QWidget) -> None:
        if view in self.opened:
            self.opened.remove(view)

    def compare_selected(self) -> CompareView | None:
        """The selected runs (two or more) in the compare view, oldest first as the
        baseline: "did the new run get slower than the one before?"."""
        runs = self._selected_runs()
        if runs is None:
            return None
        if len(runs) < 2:
            self.sigStatus.emit("select two or more runs to compare")
            return None
        view = self.compare_window("Compare runs")
        view.follow(None)
        view.set_runs(runs)
        return view

    def compare_with_connections(self) -> CompareView | None:
        """The selected runs (the first is the baseline) beside the window's connections,
        followed while they run: "is this run as fast as last week's?"."""
        live = self.live_runs
        runs = self._selected_runs()
        if live is None or runs is None:
            return None
        view = self.compare_window("Compare runs with connections")
        view.follow(lambda: [*runs, *live()])
        return view

    def _selected_runs(self) -> list[CompareRun] | None:
        try:
            return [compare_run(self.store(), i) for i in reversed(self.selected_ids())]
        except (ProbeError, KeyError) as exc:
            self._fail(_as_probe_error(exc))
            return None

    def compare_window(self, title: str) -> CompareView:
        """The window's one compare view (stored runs, live connections or both), made
        on first use, shown and raised under `title`; the caller sets what it shows."""
        if self.compare_view is None:
            self.compare_view = CompareView()
            self.compare_view.setParent(self, Qt.WindowType.Window)
            self.compare_view.resize(1100, 800)
        self.compare_view.setWindowTitle(title)
        self.compare_view.show()
        self.compare_view.raise_()
        return self.compare_view

    def delete_selected(self) -> int:
        ids = self.selected_ids()
        if not ids:
            return 0
        what = f"run #{ids[0]}" if len(ids) == 1 else f"{len(ids)} runs"
        if not self.confirm(f"Delete {what} from the history? This cannot be undone."):
            return 0
        try:
            removed = self.store().delete(*ids)
        except ProbeError as exc:
            self._fail(exc)
            return 0
        self.refresh()
        self.sigStatus.emit(f"deleted {removed} run{'s' if removed != 1 else ''} from the history")
        return removed

    def export_selected(self) -> Path | None:
        ids = self.selected_ids()
        if len(ids) != 1:
            self.sigStatus.emit("select one run to export")
            return None
        path = self.ask_export_path(f"run-{ids[0]}.html")
        if path is None:
            return None
        try:
            export_run(self.store(), ids[0], path)
        except (ProbeError, KeyError, OSError) as exc:
            self._fail(_as_probe_error(exc))
            return None
        self.sigStatus.emit(f"run #{ids[0]} written to {path}")
        return path

    # -- dialogs -------------------------------------------------------------------
    def _ask_yes_no(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Delete runs", text)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_path(self, suggested: str) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(self, "Export run", suggested, EXPORT_FILTER)
        return Path(name) if name else None

    def showEvent(self, event: QShowEvent) -> None:
        """Shown (its dock or tab raised): the list as the store has it now."""
        super().showEvent(event)
        self.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.close_store()
        super().closeEvent(event)


class RunView(QWidget):
    """One stored run reopened: what it was, how it ended, its verdicts and its plots
    (latency CDF and histogram from its HDR histogram, per-second rates)."""

    def __init__(self, store: HistoryStore, run_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        stored = store.get(run_id)
        run = compare_run(store, run_id)
        self.run_id = run_id
        self.setWindowTitle(run_title(stored.row))
        layout = QVBoxLayout(self)
        lines = [run_title(stored.row)]
        state = stored.row.state + (f": {stored.row.reason}" if stored.row.reason else "")
        lines.append(f"state: {state}")
        for v in stored.verdicts:
            lines.append(
                ("pass  " if v.passed else "FAIL  ")
                + v.expression
                + (f" ({v.detail})" if v.detail else "")
            )
        self.header = QLabel("\n".join(lines))
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.header)
        self.knee = None if stored.find_max is None else KneeView(stored.find_max)
        if self.knee is not None:  # a find-max search: its knee and steps first
            layout.addWidget(self.knee, 1)
        self.plots = CompareView()
        self.plots.set_runs([run])
        self.plots.message.setVisible(False)
        layout.addWidget(self.plots, 1)


def _day(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


def _as_probe_error(exc: BaseException) -> ProbeError:
    if isinstance(exc, ProbeError):
        return exc
    if isinstance(exc, KeyError):
        return ProbeError(f"run {exc.args[0]} is no longer in the history (refresh the list)")
    return ProbeError(f"{type(exc).__name__}: {exc}")
