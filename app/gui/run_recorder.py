"""Each finished GUI run into the run history, as `rtprobe run` stores its own.

The window connects a panel's end-of-run signal to `RunRecorder.record` (one line per
panel). What is stored comes from the panel: its `LiveRun` (aggregator, timeline, how the
run ended), the form's settings with secret header values blanked by the session file's
rule (`redact.is_secret_header`), the key masked wherever it appears, and the verdicts of
the connection's assertions. The history is a bonus, never a risk: a store that fails
gives one line on `sigStatus`, and the run shown in the panel is not touched.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from app.core import assertions
from app.core.assertions import Threshold
from app.core.config import RunConfig
from app.core.errors import ProbeError, TargetError
from app.core.history import HistoryStore, new_run
from app.core.live import LiveRun
from app.core.redact import is_secret_header
from app.gui.connection_settings import ConnectionSettings, parse_headers

SOURCE = "gui"


class FinishedPanel(Protocol):
    """What the recorder needs of a connection panel whose run has ended. It also reads,
    when the panel has them: `final_state` (a `FinalState`: how the run ended),
    `last_config` (the `RunConfig` the run was started with) and `thresholds` (the
    assertions field, whose `thresholds()` are the parsed `--assert` expressions)."""

    live: LiveRun | None
    key_provider: Callable[[], str | None]

    def settings(self) -> ConnectionSettings: ...


def stored_settings(s: ConnectionSettings) -> dict[str, Any]:
    """The form's settings as the history keeps them: no key (there is none in the form),
    secret header values blank and their names listed, as a session file writes them."""
    out = asdict(s)
    try:
        headers = parse_headers(s.headers)
    except TargetError:
        headers = {}  # unreadable as typed: kept out rather than stored raw
    out["headers"] = {k: ("" if is_secret_header(k) else v) for k, v in headers.items()}
    out["redacted_headers"] = sorted(k for k in headers if is_secret_header(k))
    out.pop("extra", None)  # the form's own odds and ends, not settings of the run
    return out


def thresholds_of(expressions: Iterable[str]) -> list[Threshold]:
    """The assertions that parse (the form refuses the others before a run starts)."""
    out = []
    for text in expressions:
        try:
            out.append(assertions.parse(text))
        except TargetError:
            continue
    return out


def final_state(live: LiveRun) -> tuple[str, str]:
    """(state, reason) of an ended run: the run's own verdict (`LiveRun.final_state`)
    when it has one; else failed when it sent nothing and saw an error, else finished."""
    decide = getattr(live, "final_state", None)
    final = decide() if callable(decide) else None
    if final is not None:
        return str(final.state), str(final.reason)
    if live.last_error and not live.aggregator.summary().sent:
        return "failed", live.last_error
    return "finished", ""


class RunRecorder(QObject):
    """Stores ended runs; `sigRecorded(run id)` after each, `sigStatus(line)` on failure."""

    sigRecorded = Signal(int)
    sigStatus = Signal(str)

    def __init__(self, path: Path | str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path  # None: $RTPROBE_HISTORY or the user's data directory
        self._recorded: weakref.WeakSet[LiveRun] = weakref.WeakSet()  # each run once
        self.last_error = ""

    def record(self, panel: FinishedPanel) -> int | None:
        """Store the panel's ended run; its id, or None (nothing to store, or a failure
        already said on `sigStatus`). Connect it to the panel's end-of-run signal."""
        live = panel.live
        if live is None or live in self._recorded:
            return None
        final = getattr(panel, "final_state", None)  # set by the panel when the run ended
        if final is None and not live.finished:
            return None  # still running
        state, reason = (str(final.state), str(final.reason)) if final else final_state(live)
        settings = panel.settings()
        config = getattr(panel, "last_config", None)
        field = getattr(panel, "thresholds", None)
        if field is not None and callable(getattr(field, "thresholds", None)):
            thresholds = list(field.thresholds())
        else:
            thresholds = thresholds_of(_split(getattr(settings, "thresholds", "")))
        return self.record_live(
            live,
            config=config if isinstance(config, RunConfig) else None,
            settings=None if isinstance(config, RunConfig) else settings,
            state=state,
            reason=reason,
            thresholds=thresholds,
            secrets=[panel.key_provider(), *_secret_header_values(settings)],
        )

    def record_live(
        self,
        live: LiveRun,
        *,
        state: str,
        reason: str = "",
        config: RunConfig | None = None,
        settings: ConnectionSettings | None = None,
        thresholds: Iterable[Threshold] = (),
        secrets: Iterable[str | None] = (),
    ) -> int | None:
        """Store one ended run, explicit about how it ended. Its settings are the run's
        `config` (as `rtprobe run` stores them) or, without one, the form's `settings`."""
        try:
            record = new_run(
                live.aggregator,
                source=SOURCE,
                state=state,
                reason=reason,
                config=config,
                timeline=live.timeline,
                thresholds=thresholds,
                settings=None if settings is None else stored_settings(settings),
                secrets=secrets,
            )
            with HistoryStore(self.path) as store:
                run_id = store.add(record)
        except (ProbeError, OSError, ValueError) as exc:
            self.last_error = f"run not saved to the history: {_one_line(exc)}"
            self.sigStatus.emit(self.last_error)
            return None
        self._recorded.add(live)
        self.last_error = ""
        self.sigRecorded.emit(run_id)
        return run_id


def _split(text: object) -> list[str]:
    """A form's assertions line ("p99<50ms, errors==0") as expressions."""
    if not isinstance(text, str):
        return []
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _secret_header_values(s: ConnectionSettings) -> list[str]:
    try:
        headers = parse_headers(s.headers)
    except TargetError:
        return []
    return [v for k, v in headers.items() if is_secret_header(k) and v]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
