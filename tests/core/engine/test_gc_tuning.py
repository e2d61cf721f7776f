"""The engine's GC hold: frozen and rare while runs run, restored when the last ends."""

from __future__ import annotations

import gc

from app.core.engine.gc_tuning import THRESHOLDS, quiet_gc


def test_quiet_gc_freezes_start_up_and_restores_the_process_after() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with quiet_gc():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > frozen_before
        with quiet_gc():  # a second run at once (the GUI, tests): no second freeze
            assert gc.get_threshold() == THRESHOLDS
        assert gc.get_threshold() == THRESHOLDS  # the first run still runs
    assert gc.get_threshold() == before
    if frozen_before == 0:
        assert gc.get_freeze_count() == 0


def test_quiet_gc_restores_even_when_the_run_fails() -> None:
    before = gc.get_threshold()
    try:
        with quiet_gc():
            raise RuntimeError("a run that failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
