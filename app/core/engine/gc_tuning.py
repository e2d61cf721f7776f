"""The garbage collector held still while a run measures.

A full collection walks every tracked object of the process (websockets, httpx, numpy,
msgpack, the whole import graph: 100k+ objects) and stops the event loop while it does;
measured with `gc.callbacks` under `rtprobe run ... --rate 2000 --concurrency 50`, those
pauses were the round-trip tail and the send lag max. Start-up's objects never die, so
a run freezes them (`gc.freeze`: out of every later collection) and raises the young
generation's threshold as the mock does (`app.cli._tune_gc_for_serving`): the per-message
objects die by reference counting, and the rare young collection walks only survivors.

Process-wide and nestable: the first run in freezes, the last run out restores the
thresholds and unfreezes, so a GUI process or a test that runs many runs is left as it
was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 50, 100)  # the mock's; gen 2 then runs about never within a run

_depth = 0
_saved: tuple[int, int, int] | None = None
_was_frozen = False  # someone (a serving process) froze before us: theirs stays frozen


@contextmanager
def quiet_gc() -> Iterator[None]:
    """While inside: start-up frozen out of collections, young collections rare."""
    global _depth, _saved, _was_frozen
    if _depth == 0:
        _saved = gc.get_threshold()
        _was_frozen = gc.get_freeze_count() > 0
        # no gc.collect() first: it paused 60 ms per run on this machine, and garbage
        # frozen with the rest goes back to the collector at the unfreeze after the run
        gc.freeze()
        gc.set_threshold(*THRESHOLDS)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            if not _was_frozen:
                gc.unfreeze()
            _saved = None
