"""Records that outlive a `kill -9`: while `rtprobe run` runs, the CSV's rows are written
every second and the `--json` summary is replaced every `--json-every` seconds (a
checkpoint, marked `"partial": true`). The finished run's files replace them at the end;
a killed run leaves the last checkpoint and every sample until its last second."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time

from app.core.report.csv import FLUSH_EVERY_S, CsvSampleWriter
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

    def start(self) -> None:
        if self.csv is not None or (self.json_path and self.json_every_s > 0):
            self._task = asyncio.ensure_future(self._keep())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

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
                self._write_json(self.json_path)

    def _write_json(self, path: str) -> None:
        from app.core.report.jsonfile import write_json

        try:
            write_json(path, self.agg.summary(), partial=True)
        except OSError as exc:  # the final write says it too, with the exit code
            print(f"rtprobe run: checkpoint not written: {exc}", file=sys.stderr)
            self.json_every_s = 0.0  # once is enough
        else:
            self.written += 1
