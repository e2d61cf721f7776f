"""`freeze_startup` (for good) and `quiet_gc` (around a run): start-up objects frozen,
collections rarer, cycles still collected when asked to collect."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.core.engine.gc_tuning import THRESHOLDS, freeze_startup, quiet_gc


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_freezes_and_raises_the_thresholds() -> None:
    freeze_startup()
    assert gc.get_threshold() == THRESHOLDS
    assert gc.get_freeze_count() > 0


def test_collecting_again_frees_cycles_frozen_before() -> None:
    import weakref

    node = Node()
    ref = weakref.ref(node)
    freeze_startup(collect=False)  # the cycle is frozen while alive
    del node
    assert ref() is not None  # garbage now, but frozen: not collected
    freeze_startup()  # unfreeze, collect, freeze again
    assert ref() is None


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
