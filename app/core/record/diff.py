"""Reply against recorded reply: where two decoded values differ, in shape or value.

Pure. A frame is compared as what it decodes to (JSON text, msgpack binary, else the
text or bytes themselves), so two encodings of the same map are equal. Paths are dotted
(`result.boxes.0.score`); `ignore` names fields not to compare: a dotted pattern from the
top (`*` for any one step: `boxes.*.id`), or a bare name for that field at any depth
(`server_send_ns`). Numbers compare within `tolerance` when either is a float (absolute,
or relative as `Tolerance(0.01, relative=True)`); ints, strings, bools, bytes exactly.
An SSE event (`SseValue`) compares its data's value, then its type and id as the steps
`<event>` and `<id>` (`2.<id>: '7' -> '8'`; `--ignore '<id>'` leaves ids out).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import msgpack

What = Literal["type", "missing", "added", "value", "length"]
MAX_DEPTH = 64
MAX_DIFFERENCES = 50  # per reply: enough to see what changed, bounded for a huge reply
SHOWN = 60  # characters of a value a difference shows


@dataclass(frozen=True, slots=True)
class Tolerance:
    amount: float = 0.0
    relative: bool = False

    @classmethod
    def parse(cls, text: str) -> Tolerance:
        """`0.001` (absolute) or `1%` (relative); ValueError for anything else."""
        t = text.strip()
        relative = t.endswith("%")
        value = float(t[:-1] if relative else t)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"tolerance {text!r} must be a number >= 0")
        return cls(value / 100 if relative else value, relative)

    def same(self, a: float, b: float) -> bool:
        if a == b:
            return True
        if math.isnan(a) and math.isnan(b):
            return True
        allowed = self.amount * max(abs(a), abs(b)) if self.relative else self.amount
        return abs(a - b) <= allowed


@dataclass(frozen=True, slots=True)
class SseValue:
    """An SSE event as a replay compares it: what its data decodes to, its type ("" for
    the default "message") and the last event ID it carried ("" for none)."""

    data: Any
    event: str = ""
    id: str = ""

    @classmethod
    def of(cls, data: Any, event: object = "", ident: object = "") -> SseValue:
        name = event if isinstance(event, str) and event != "message" else ""
        return cls(data, name, ident if isinstance(ident, str) else "")


SSE_FIELDS = ("event", "id")  # compared besides the data, as the steps <event>, <id>


@dataclass(frozen=True, slots=True)
class Difference:
    path: str  # "" for the whole value
    what: What
    old: Any = None
    new: Any = None

    def line(self) -> str:
        where = self.path or "(the whole reply)"
        if self.what == "missing":
            return f"{where}: missing (was {shown(self.old)})"
        if self.what == "added":
            return f"{where}: added ({shown(self.new)})"
        if self.what == "type":
            return f"{where}: {kind_of(self.old)} -> {kind_of(self.new)}"
        if self.what == "length":
            return f"{where}: {self.old} items -> {self.new}"
        return f"{where}: {shown(self.old)} -> {shown(self.new)}"


def shown(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes | bytearray):
        return "bytes"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, SseValue):
        return "SSE event"
    return type(value).__name__


def decode_frame(data: str | bytes) -> Any:
    """What a frame says: JSON text or a msgpack value when it parses, else itself."""
    if isinstance(data, str):
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            return data
    try:
        return msgpack.unpackb(data, raw=False)
    except Exception:  # msgpack raises several unrelated types: raw bytes are fine
        return data


class Ignore:
    """The `--ignore` patterns, matched against a path's steps."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self.anywhere: set[str] = set()
        self.rooted: list[tuple[str, ...]] = []
        for p in patterns:
            p = p.strip().strip(".")
            if not p:
                continue
            if "." in p:
                self.rooted.append(tuple(p.split(".")))
            else:
                self.anywhere.add(p)

    def __call__(self, steps: tuple[str, ...]) -> bool:
        if steps and steps[-1] in self.anywhere:
            return True
        return any(
            len(steps) == len(r) and all(a in ("*", b) for a, b in zip(r, steps, strict=True))
            for r in self.rooted
        )


def diff(
    old: Any, new: Any, tolerance: Tolerance | None = None, ignore: Ignore | None = None
) -> list[Difference]:
    """Where `new` differs from `old` (at most MAX_DIFFERENCES of them)."""
    out: list[Difference] = []
    _walk(old, new, (), tolerance or Tolerance(), ignore or Ignore(), out, 0)
    return out


def _walk(
    old: Any,
    new: Any,
    steps: tuple[str, ...],
    tol: Tolerance,
    ignore: Ignore,
    out: list[Difference],
    depth: int,
) -> None:
    if len(out) >= MAX_DIFFERENCES or (steps and ignore(steps)):
        return
    if isinstance(old, SseValue) and isinstance(new, SseValue):
        _walk(old.data, new.data, steps, tol, ignore, out, depth)
        for name in SSE_FIELDS:
            a, b = getattr(old, name), getattr(new, name)
            step = (*steps, f"<{name}>")
            if a != b and len(out) < MAX_DIFFERENCES and not ignore(step):
                out.append(Difference(".".join(step), "value", a, b))
        return
    path = ".".join(steps)
    if kind_of(old) != kind_of(new):
        out.append(Difference(path, "type", old, new))
        return
    if depth >= MAX_DEPTH:
        if old != new:
            out.append(Difference(path, "value", old, new))
        return
    if isinstance(old, dict):
        for k in old:
            step = (*steps, str(k))
            if k not in new:
                if not ignore(step):
                    out.append(Difference(".".join(step), "missing", old[k], None))
            else:
                _walk(old[k], new[k], step, tol, ignore, out, depth + 1)
        for k in new:
            if k not in old and not ignore((*steps, str(k))):
                out.append(Difference(".".join((*steps, str(k))), "added", None, new[k]))
        return
    if isinstance(old, list | tuple):
        if len(old) != len(new):
            out.append(Difference(path, "length", len(old), len(new)))
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            _walk(a, b, (*steps, str(i)), tol, ignore, out, depth + 1)
        return
    if isinstance(old, int | float) and not isinstance(old, bool):
        if isinstance(old, float) or isinstance(new, float):
            if not tol.same(float(old), float(new)):
                out.append(Difference(path, "value", old, new))
        elif old != new:
            out.append(Difference(path, "value", old, new))
        return
    if old != new:
        out.append(Difference(path, "value", old, new))
