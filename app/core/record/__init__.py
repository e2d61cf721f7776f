"""Recordings of runs as HAR 1.2 files: the pure model and codec (`har`), the recorder
that folds a run's events into one (`recorder`), the reply diff (`diff`) and the replay
of a recording through the engine's sessions (`replay`). Import the submodules; this
package imports nothing, so the mock can use `har` without the engine."""
