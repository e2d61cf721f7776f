"""The run summary as a JSON file, for CI and for diffing runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.core.report.model import Summary


def dumps(summary: Summary) -> str:
    """Pretty and key-sorted so two runs diff line by line; odd values become strings."""
    return (
        json.dumps(summary.to_json(), indent=2, sort_keys=True, ensure_ascii=False, default=str)
        + "\n"
    )


def write_json(path: str | os.PathLike[str], summary: Summary) -> None:
    """Write via a temporary file, so a reader never sees half a summary."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(dumps(summary), encoding="utf-8")
    os.replace(tmp, target)
