"""`quiet_gc`: start-up objects frozen, collections rarer, cycles still collected when
asked to collect."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.core.engine.gc_tuning import THRESHOLDS, quiet_gc


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
    quiet_gc()
    assert gc.get_threshold() == THRESHOLDS
    assert gc.get_freeze_count() > 0


def test_collecting_again_frees_cycles_frozen_before() -> None:
    import weakref

    node = Node()
    ref = weakref.ref(node)
    quiet_gc(collect=False)  # the cycle is frozen while alive
    del node
    assert ref() is not None  # garbage now, but frozen: not collected
    quiet_gc()  # unfreeze, collect, freeze again
    assert ref() is None
