"""Python's cyclic garbage collector, kept out of the measurement's way.

Profiled in the GUI process at 4 x 250 msg/s (py-spy --native, benchmarks/gui_overhead.py):
13 % of its samples were in `gc_collect_main`, and a full (generation 2) collection,
which walks every object of the heap (Qt wrappers, pyqtgraph items, the inspector's
messages), held the CPU for 0.1-0.6 s at a time on a loaded 2-core machine: a burst
that the engine process, on the same cores, waits behind. The engine's own loop
allocates per message as well.

So: what start-up allocated is frozen (`gc.freeze`: never walked again), and
collections run less often (the thresholds the mock server already uses). Garbage is
still freed by reference counting at once; only reference cycles wait longer.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 50, 100)


def quiet_gc(collect: bool = True) -> None:
    """Collect once (unless `collect` is False), freeze what is left, collect less.

    With `collect`, objects frozen earlier are unfrozen first, so this is also how a
    long-lived process gives back cycles that became garbage since the last call: call
    it where a pause does no harm (before a run starts, with no other run measuring)."""
    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
