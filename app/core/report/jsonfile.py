"""The run summary as a JSON file, for CI and for diffing runs.

A run with `--json` also writes it while it runs (a checkpoint, marked `"partial": true`),
so a run killed with SIGKILL still leaves the summary of the run until its last
checkpoint. Every write goes to a temporary file in the same directory, then replaces the
target in one `os.replace`: a reader, or a process killed mid-write, never leaves half a
summary behind; at worst the temporary file stays.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from app.core.report.model import Summary


def dumps(summary: Summary, **extra: Any) -> str:
    """Pretty and key-sorted so two runs diff line by line; odd values become strings.
    `extra` keys are added to the summary's (a checkpoint's `partial`)."""
    data = summary.to_json()
    data.update(extra)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def write_json(path: str | os.PathLike[str], summary: Summary, *, partial: bool = False) -> None:
    """Write via a temporary file, so a reader never sees half a summary. `partial`: a
    checkpoint of a run still going (the key is absent from a finished run's file)."""
    write_atomic(path, dumps(summary, partial=True) if partial else dumps(summary))


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """`text` into `path` as one step: whole old file or whole new file, never a mix."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
