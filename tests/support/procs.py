"""What /proc says about processes a test started: alive, parent, children, listening
ports (Linux; the tests that need these start real processes and check none is left)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def state(pid: int) -> str | None:
    """The process's state letter (R, S, Z, …), None once it is gone."""
    fields = _stat(pid)
    return fields[0] if fields else None


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped does not count)."""
    return state(pid) not in (None, "Z")


def parent(pid: int) -> int | None:
    fields = _stat(pid)
    try:
        return int(fields[1]) if fields else None
    except (IndexError, ValueError):
        return None


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    return [
        int(entry.name) for entry in Path("/proc").glob("[0-9]*") if parent(int(entry.name)) == pid
    ]


def listening_ports(pid: int) -> set[int]:
    """TCP ports `pid` listens on, from its socket inodes and /proc/net/tcp."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        with contextlib.suppress(OSError):
            link = os.readlink(fd)
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    return {port for port, inode in _listeners() if inode in inodes}


def listening(port: int) -> bool:
    """Something on this machine still listens on `port`."""
    return any(p == port for p, _ in _listeners())


def _listeners() -> list[tuple[int, str]]:
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A":  # 0A: LISTEN
                out.append((int(cols[1].rpartition(":")[2], 16), cols[9]))
    return out
