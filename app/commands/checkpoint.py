"""Records that outlive a `kill -9`: while `rtprobe run` runs, the CSV's rows are written
every second and the `--json` summary is replaced every `--json-every` seconds (a
checkpoint, marked `"partial": true`). The finished run's files replace them at the end;
a killed run leaves the last checkpoint and every sample until its last second.

A checkpoint's summary is read on the loop (well under a millisecond), its file is
written on a worker thread: a slow disk must not stall the sends being measured."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time

from app.core.report.csv import FLUSH_EVERY_S, CsvSampleWriter
from app.core.report.model import Summary
from app.core.summary import Aggregator

JSON_EVERY_S = 5.0  # default of --json-every


def checkpoint_every(text: str) -> float:
    """`--json-every S`: seconds, 0 for no checkpoint (only the final file)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or a positive number of seconds")
    return value


class Checkpoints:
    """`start()` before the run, `await stop()` before its final reports are written."""

    def __init__(
        self,
        agg: Aggregator,
        csv: CsvSampleWriter | None,
        json_path: str | None,
        json_every_s: float = JSON_EVERY_S,
    ) -> None:
        self.agg = agg
        self.csv = csv
        self.json_path = json_path
        self.json_every_s = json_every_s
        self.written = 0  # JSON checkpoints written
        self._task: asyncio.Task[None] | None = None
        self._writing: asyncio.Future[None] | None = None  # a checkpoint being written

    def start(self) -> None:
        if self.csv is not None or (self.json_path and self.json_every_s > 0):
            self._task = asyncio.ensure_future(self._keep())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        writing, self._writing = self._writing, None
        if writing is not None:  # let it finish: the final file must be written after it
            with contextlib.suppress(Exception):
                await asyncio.shield(writing)

    async def _keep(self) -> None:
        tick = FLUSH_EVERY_S
        if self.json_path and self.json_every_s > 0:
            tick = min(tick, self.json_every_s)
        json_due = time.monotonic() + self.json_every_s
        while True:
            await asyncio.sleep(tick)
            if self.csv is not None:
                self.csv.flush()
            if self.json_path and self.json_every_s > 0 and time.monotonic() >= json_due:
                json_due = time.monotonic() + self.json_every_s
                summary = self.agg.summary()
                loop = asyncio.get_running_loop()
                self._writing = loop.run_in_executor(
                    None, self._write_json, self.json_path, summary
                )
                await asyncio.shield(self._writing)
                self._writing = None

    def _write_json(self, path: str, summary: Summary) -> None:
        from app.core.report.jsonfile import write_json

        try:
            write_json(path, summary, partial=True)
        except OSError as exc:  # the final write says it too, with the exit code
            print(f"rtprobe run: checkpoint not written: {exc}", file=sys.stderr)
            self.json_every_s = 0.0  # once is enough
        else:
            self.written += 1
