"""Network changes during a run: the event, its schedule, and how reports name it.

A change is a `NetworkChange` event (app/core/events.py), emitted where it happens: the
WebRTC session when its client's impairments change (`act("network", …)`) or when it
asks the mock to change its side of the session (`act("mock_network", …)`), the run
control for a change of the whole mock (`act("network_mark", …)`, the GUI after `PUT
/_mock/network`). The timeline keeps them; every report plot draws them as vertical
lines; the summary lists them ("network: 4g at 5.0 s, none at 12.0 s").

`--network-at` / the session file's `network_at` schedule changes: `T:PROFILE` (the
client's side) or `T:mock:PROFILE` (the mock's side of each session), `T` in seconds
from the session's start (`5`, `5s`, `1.5s`, `500ms`). Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.core.errors import TargetError
from app.core.events import NetworkChange, now_ns
from app.core.network.impair import CLEAN, NetworkError, NetworkProfile
from app.core.network.profile import format_profile, parse_profile

Side = Literal["client", "mock"]
MAX_SCHEDULED = 64
MAX_CHANGES_KEPT = 1000  # per timeline; a change a second for a quarter of an hour


@dataclass(frozen=True)
class Scheduled:
    at_s: float
    side: Side
    spec: str


def direction_of(profile: NetworkProfile) -> str:
    """Which way `profile` acts: up, down or both (both also for clean and symmetric)."""
    up_clean, down_clean = profile.up == CLEAN.up, profile.down == CLEAN.down
    if up_clean and not down_clean:
        return "down"
    if down_clean and not up_clean:
        return "up"
    return "both"


def change_event(session: int | None, t_ns: int, side: Side, value: object) -> NetworkChange:
    """The event of a change to `value` (a NetworkProfile or its text)."""
    profile = value if isinstance(value, NetworkProfile) else parse_profile(str(value))
    spec = format_profile(profile)
    name = profile.name or spec
    if "custom" in name:  # "custom", "4g+custom": the text as given says more
        name = str(value).strip()[:60] if isinstance(value, str) and value.strip() else spec
    return NetworkChange(session, t_ns, side, direction_of(profile), name, spec)


def network_mark(value: object) -> NetworkChange:
    """The event of a change of the whole mock, made outside the run (the GUI's `PUT
    /_mock/network`); a bad profile: TargetError, one line."""
    try:
        return change_event(None, now_ns(), "mock", value)
    except NetworkError as exc:
        raise TargetError(str(exc)) from None


def _seconds(text: str) -> float:
    t = text.strip().lower()
    scale = 1.0
    if t.endswith("ms"):
        t, scale = t[:-2], 1e-3
    elif t.endswith("s"):
        t = t[:-1]
    try:
        value = float(t) * scale
    except ValueError:
        raise NetworkError(f"network-at time {text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0 or value > 7 * 86_400:
        raise NetworkError(f"network-at time {text!r} must be 0 s to a week")
    return value


def parse_schedule(items: Iterable[str]) -> tuple[Scheduled, ...]:
    """`["5s:3g", "12s:mock:none"]` -> changes in time order; NetworkError (one line)."""
    out: list[Scheduled] = []
    for item in items:
        when, sep, rest = str(item).partition(":")
        if not sep or not rest:
            raise NetworkError(f"network-at {item!r}: write TIME:PROFILE or TIME:mock:PROFILE")
        side: Side = "client"
        if rest.startswith("mock:"):
            side, rest = "mock", rest[len("mock:") :]
        elif rest.startswith("client:"):
            rest = rest[len("client:") :]
        if not rest.strip():
            raise NetworkError(f"network-at {item!r}: write TIME:PROFILE or TIME:mock:PROFILE")
        parse_profile(rest)  # checked now, not mid-run
        out.append(Scheduled(_seconds(when), side, rest))
        if len(out) > MAX_SCHEDULED:
            raise NetworkError(f"network-at: at most {MAX_SCHEDULED} changes")
    return tuple(sorted(out, key=lambda s: s.at_s))


def format_schedule(schedule: Iterable[Scheduled]) -> list[str]:
    return [f"{s.at_s:g}s:{'mock:' if s.side == 'mock' else ''}{s.spec}" for s in schedule]


def change_row(event: NetworkChange, t_s: float) -> dict[str, Any]:
    """A change as the timeline, the JSON report and the history keep it."""
    return {
        "t_s": round(t_s, 3),
        "side": event.side,
        "direction": event.direction,
        "name": event.name,
        "spec": event.spec,
        "session": event.session,
    }


def label(row: Mapping[str, Any]) -> str:
    """The short label of a mark on a plot: "4g", "mock 3g", "client down.rate=300"."""
    name = str(row.get("name", "?"))[:40]
    return f"mock {name}" if row.get("side") == "mock" else name


def summary_line(rows: Iterable[Mapping[str, Any]]) -> str:
    """ "4g at 5.0 s, mock none at 12.0 s" (the same change of several sessions once)."""
    seen: list[tuple[str, float]] = []
    for row in rows:
        item = (label(row), round(float(row.get("t_s", 0.0)), 1))
        if not seen or all(abs(item[1] - t) > 0.25 or item[0] != n for n, t in seen[-8:]):
            seen.append(item)
    return ", ".join(f"{name} at {t:.1f} s" for name, t in seen)
