"""Each finished GUI run into the run history, as `rtprobe run` stores its own.

The window connects each panel's `sigRunEnded` to `RunRecorder.record` (one line per
panel). What is stored comes from the panel: its `LiveRun` (aggregator, timeline), how
the run ended (`final_state`), the settings of the run's `RunConfig` with secret header
values blanked by the session file's rule (`redact.is_secret_header`), the key masked
wherever it appears, and the verdicts of the connection's assertions. The history is a
bonus, never a risk: a store that fails gives one line on `sigStatus`, and the run shown
in the panel is not touched.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core import assertions
from app.core.assertions import Threshold
from app.core.config import RunConfig
from app.core.errors import ProbeError, TargetError
from app.core.history import HistoryStore, new_run
from app.core.live import LiveRun
from app.core.redact import is_secret_header
from app.gui.connection_panel import ConnectionPanel
from app.gui.connection_settings import ConnectionSettings, parse_headers

SOURCE = "gui"


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


class RunRecorder(QObject):
    """Stores ended runs; `sigRecorded(run id)` after each, `sigStatus(line)` on failure."""

    sigRecorded = Signal(int)
    sigStatus = Signal(str)

    def __init__(self, path: Path | str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path  # None: $RTPROBE_HISTORY or the user's data directory
        self._recorded: weakref.WeakKeyDictionary[LiveRun, int] = weakref.WeakKeyDictionary()
        self.last_error = ""

    def record(self, panel: ConnectionPanel) -> int | None:
        """Store the run that just ended in `panel` (connect `panel.sigRunEnded` here);
        its id, or None: no ended run, already stored, or a failure said on `sigStatus`.

        Read from the panel: `live` (aggregator, timeline), `final_state` (how it ended;
        None while the run is on), `last_config` (the run's `RunConfig`: its settings,
        key and secret headers to mask), `thresholds` (the assertions, for the verdicts)
        and `key_provider` (the key in use, masked too)."""
        live, final = panel.live, panel.final_state
        if live is None or final is None or live in self._recorded:
            return None
        config = panel.last_config
        return self.record_live(
            live,
            config=config,
            settings=panel.settings() if config is None else None,
            state=final.state,
            reason=final.reason,
            thresholds=panel.thresholds.thresholds(),
            secrets=[panel.key_provider()],
        )

    def add_server_health(self, panel: ConnectionPanel) -> bool:
        """The mock's reading of `panel`'s stored run, added to it (connect
        `panel.sigServerHealth` here): it comes after the run ended and was stored.
        False when that run was not stored here or the store says no (said on
        `sigStatus`)."""
        reading, live = panel.server_health, panel.live
        run_id = None if live is None else self._recorded.get(live)
        if reading is None or run_id is None:
            return False
        try:
            with HistoryStore(self.path) as store:
                store.set_server_health(run_id, reading)
        except KeyError:
            self.last_error = f"the mock's reading not saved: run {run_id} left the history"
            self.sigStatus.emit(self.last_error)
            return False
        except (ProbeError, OSError) as exc:
            self.last_error = f"the mock's reading not saved to the history: {_one_line(exc)}"
            self.sigStatus.emit(self.last_error)
            return False
        return True

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
        if settings is not None:
            secrets = [*secrets, *_secret_header_values(settings)]
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
        self._recorded[live] = run_id  # each run once
        self.last_error = ""
        self.sigRecorded.emit(run_id)
        return run_id


def _secret_header_values(s: ConnectionSettings) -> list[str]:
    try:
        headers = parse_headers(s.headers)
    except TargetError:
        return []
    return [v for k, v in headers.items() if is_secret_header(k) and v]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
