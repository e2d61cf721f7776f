"""The report files of `rtprobe run`: checked before anything is sent, written after.

An unwritable `--json/--csv/--html` path used to be found only once the run was over,
and the error threw the summary away with it. `check` finds it first (a missing or
non-directory parent, a path that is a directory, a directory we cannot create files
in) by creating and removing a probe file where the report will go, which is what
writing it takes: the JSON and HTML reports are written to `NAME.tmp` and renamed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from app.core.errors import TargetError
from app.core.report.model import Summary


def check(flag: str, path: str) -> None:
    """TargetError naming `flag`, `path` and why, when a report cannot be written there."""
    target = Path(path)
    parent = target.parent
    why = ""
    if not path.strip():
        why = "no file name"
    elif target.is_dir():
        why = "is a directory"
    elif not parent.exists():
        why = f"no such directory {str(parent)!r}"
    elif not parent.is_dir():
        why = f"{str(parent)!r} is not a directory"
    elif target.exists() and not os.access(target, os.W_OK):
        why = "the file is not writable"
    else:
        try:
            fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".check", dir=parent)
        except OSError as exc:
            why = f"cannot create files in {str(parent)!r}: {exc.strerror or exc}"
        else:
            os.close(fd)
            os.unlink(probe)
    if why:
        raise TargetError(f"{flag} {path!r}: {why}")


def write_json(path: str, summary: Summary, interrupted: str = "") -> None:
    """The JSON summary (as `app.core.report.jsonfile` writes it), plus `interrupted`:
    the signal that cut the run short, when one did."""
    from app.core.report import jsonfile

    if not interrupted:
        jsonfile.write_json(path, summary)
        return
    data = json.loads(jsonfile.dumps(summary))
    data["interrupted"] = interrupted
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def failed_write(flag: str, path: str, exc: OSError) -> str:
    """One line for a report that could not be written at the end."""
    return f"rtprobe run: cannot write {flag} {path!r}: {exc.strerror or exc}"
