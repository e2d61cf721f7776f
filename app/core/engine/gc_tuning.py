"""Python's cyclic garbage collector, kept out of the measurement's way.

A full collection walks every tracked object of the process (websockets, httpx, numpy,
msgpack, the import graph; in the GUI also Qt wrappers, pyqtgraph items, the inspector's
messages) and stops everything else while it does. Measured with `gc.callbacks` under
`rtprobe run ... --rate 2000 --concurrency 50`, those pauses were the round-trip tail and
the send lag max; profiled in the GUI at 4 x 250 msg/s (py-spy --native), 13 % of its
samples were in `gc_collect_main`, a full collection holding the CPU 0.1-0.6 s at a time
on a loaded 2-core machine, a burst the engine process on the same cores waits behind.

Two tools, both freezing what start-up allocated (`gc.freeze`: never walked again) and
collecting less often (the thresholds the mock uses); garbage is still freed by
reference counting at once, only reference cycles wait longer:
- `quiet_gc()`, a context manager around a run: process-wide and nestable; the last run
  out restores the thresholds and unfreezes, so a process that runs many runs is left
  as it was;
- `freeze_startup()`, once, for a long-lived process (the engine child, the GUI) that
  stays quiet for good.
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


def freeze_startup(collect: bool = True) -> None:
    """Collect once (unless `collect` is False), freeze what is left, collect less.

    With `collect`, objects frozen earlier are unfrozen first, so this is also how a
    long-lived process gives back cycles that became garbage since the last call: call
    it where a pause does no harm (before a run starts, with no other run measuring)."""
    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
