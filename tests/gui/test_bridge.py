"""The bridge is the only way from a widget to the engine, and it shows what the
engine dropped: a real in-process engine on the real mock, made to overflow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

import app.core.engine.thread as engine_thread
import app.gui
from app.gui.bridge import EngineBridge
from app.gui.main_window import MainWindow

NOT_YET_THROUGH_THE_BRIDGE: set[str] = set()  # modules exempt from the rule: none


def test_no_widget_reaches_the_engine_or_opens_sockets() -> None:
    gui = Path(app.gui.__file__).parent
    # `app.core.engine.build` / `.config` are data (settings -> RunConfig), not the engine
    reach = re.compile(
        r"(?<!core)\.engine\b|EngineThread|EngineProcess|\bimport socket\b|websockets"
    )
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(gui.glob("*.py"))
        if path.name != "bridge.py" and path.name not in NOT_YET_THROUGH_THE_BRIDGE
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if reach.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []


def test_dropped_events_show_in_the_status_bar(qtbot, tmp_path, mock_base, monkeypatch) -> None:
    monkeypatch.setattr(engine_thread, "MAX_QUEUED", 8)  # a GUI that falls far behind
    bridge = EngineBridge(in_process=True)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(bridge=bridge, settings=settings, autosave=False)
    qtbot.addWidget(window)
    window.show()
    try:
        window.show_mock(mock_base)
        panel = window.add_connection_for("realtime")
        panel.rate.setValue(500)
        bridge.timer.stop()  # nothing drains while the run goes
        assert panel.start(count=40)
        qtbot.waitUntil(lambda: bridge.engine.overflowed > 0, timeout=20_000)
        assert not window.dropped_label.isVisible()
        with qtbot.waitSignal(bridge.sigDropped, timeout=5_000) as blocker:
            bridge.timer.start()
        assert blocker.args[0] > 0
        qtbot.waitUntil(lambda: panel.live is not None and panel.live.finished, timeout=20_000)
        assert window.dropped_label.isVisible()
        assert bridge.dropped == bridge.engine.overflowed > 0
        assert window.dropped_label.text().strip() == f"{bridge.dropped:,} events dropped"
    finally:
        window.shutdown()


def test_controls_after_close_are_ignored(qtbot) -> None:
    bridge = EngineBridge(in_process=True)
    bridge.close()
    for control in (lambda: bridge.send_action(1, "w u"), lambda: bridge.pause(1, True)):
        control()  # a closing window's last key press: nothing to do, nothing raised
    bridge.stop(1)
    bridge.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        bridge.submit(None)  # type: ignore[arg-type]  # refused before the config is read


def test_a_run_starts_with_the_heap_frozen_and_ends_off_the_running_set(
    qtbot, mock_base, monkeypatch
) -> None:
    """The first submit freezes the GUI's start-up heap (no full collection walks it
    mid-run), without collecting first; a run leaves `running` with its RunFinished."""
    import gc

    from app.core.engine import gc_tuning
    from app.gui.connection_settings import ConnectionSettings, build_config

    calls: list[bool] = []
    monkeypatch.setattr("app.gui.bridge.freeze_startup", lambda collect: calls.append(collect))
    bridge = EngineBridge(in_process=True)
    try:
        s = ConnectionSettings(transport="realtime", target="mock/echo", rate=100.0)
        first = bridge.submit(
            build_config(s, mock_base=mock_base, key=None, count=5, duration_s=None)
        )
        second = bridge.submit(
            build_config(s, mock_base=mock_base, key=None, count=5, duration_s=None)
        )
        assert calls == [False]  # once, and no collection pause before the run
        assert bridge.running == {first, second}
        qtbot.waitUntil(lambda: not bridge.running, timeout=20_000)
    finally:
        bridge.close()
    before = gc.get_threshold()
    try:
        gc_tuning.freeze_startup(collect=False)
        assert gc.get_freeze_count() > 0 and gc.get_threshold() == gc_tuning.THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
