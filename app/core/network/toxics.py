"""Toxiproxy's toxics as dataclasses: the same names, attributes and units.

Each toxic type is a frozen dataclass of its attributes; the field metadata holds the
unit, the lower bound and a help line, so the spec parser, the HTTP API, the CLI help
and docs/network.md read one table (`TOXIC_TYPES`). A `Toxic` is one configured
toxic: a name, its direction (`upstream` = client to server, `downstream` = server to
client, as Toxiproxy names them), a toxicity (the probability that a connection gets
it, rolled once per connection) and its attributes. Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Any

STREAMS = ("upstream", "downstream")
DEFAULT_STREAM = "downstream"  # Toxiproxy's default
_MAX = 2**53  # attributes are whole numbers (Toxiproxy's int64); past this a typo


def attr(*, unit: str, help: str, low: int = 0, required: bool = False) -> Any:
    """One attribute of a toxic: a whole number in `unit`, at least `low`."""
    meta = {"unit": unit, "help": help, "low": low, "required": required}
    return dataclasses.field(default=low, metadata=meta)


@dataclass(frozen=True)
class Latency:
    """Delay all data by `latency` +- `jitter` (a fresh draw per chunk)."""

    latency: int = attr(unit="ms", help="added delay")
    jitter: int = attr(unit="ms", help="uniform +- variation of the delay")


@dataclass(frozen=True)
class Bandwidth:
    """Limit the stream to `rate` KB/s (1 KB = 1000 bytes); 0: no limit."""

    rate: int = attr(unit="KB/s", help="rate in kilobytes (1000 B) per second, 0: no limit")


@dataclass(frozen=True)
class Slicer:
    """Slice data into pieces of about `average_size` bytes, `delay` µs apart."""

    average_size: int = attr(unit="bytes", help="average piece size", low=1, required=True)
    size_variation: int = attr(unit="bytes", help="variation of a piece's size")
    delay: int = attr(unit="us", help="delay after each piece, microseconds")


@dataclass(frozen=True)
class SlowClose:
    """Delay the close (EOF) of the stream by `delay`."""

    delay: int = attr(unit="ms", help="delay before the close passes")


@dataclass(frozen=True)
class Timeout:
    """Drop all data; close the connection `timeout` after the last data (0: never,
    until the toxic is removed, which then closes it, as Toxiproxy does)."""

    timeout: int = attr(unit="ms", help="close after this long, 0: hang until removed")


@dataclass(frozen=True)
class LimitData:
    """Pass exactly `bytes` bytes, then close the connection."""

    bytes: int = attr(unit="bytes", help="bytes passed before the connection closes")


@dataclass(frozen=True)
class ResetPeer:
    """On the first data, drop it and reset the connection (TCP RST) `timeout` later."""

    timeout: int = attr(unit="ms", help="delay from the first data to the reset")


Attributes = Latency | Bandwidth | Slicer | SlowClose | Timeout | LimitData | ResetPeer

TOXIC_TYPES: dict[str, type[Attributes]] = {
    "latency": Latency,
    "bandwidth": Bandwidth,
    "slicer": Slicer,
    "slow_close": SlowClose,
    "timeout": Timeout,
    "limit_data": LimitData,
    "reset_peer": ResetPeer,
}


class ToxicError(ValueError):
    """A toxic that is unknown, malformed or out of range (one line, naming the field)."""


@dataclass(frozen=True)
class Toxic:
    """One configured toxic, as Toxiproxy's API shows it."""

    type: str
    attributes: Attributes
    stream: str = DEFAULT_STREAM
    toxicity: float = 1.0
    name: str = ""  # "" -> "<type>_<stream>", Toxiproxy's default

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"{self.type}_{self.stream}")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": dataclasses.asdict(self.attributes),
        }


def attribute_names(kind: str) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(TOXIC_TYPES[kind]))


def make_attributes(kind: str, values: dict[str, object], where: str) -> Attributes:
    """The attributes of toxic type `kind` from name -> value (ints, or text to read as
    ints); raises ToxicError naming `where` and the bad field."""
    cls = TOXIC_TYPES.get(kind)
    if cls is None:
        raise ToxicError(f"{where}: unknown toxic type {kind!r} (known: {', '.join(TOXIC_TYPES)})")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in values:
        if name not in fields:
            known = ", ".join(fields)
            raise ToxicError(f"{where}: {kind} has no attribute {name!r} (attributes: {known})")
    out: dict[str, int] = {}
    for name, f in fields.items():
        meta = f.metadata
        if name not in values:
            if meta["required"]:
                raise ToxicError(f"{where}: {kind} needs {name} ({meta['unit']})")
            continue
        out[name] = whole(values[name], f"{where}: {kind} {name}", low=meta["low"])
    return cls(**out)


def whole(value: object, what: str, *, low: int = 0) -> int:
    """A whole number >= low from JSON or text; ToxicError naming `what` otherwise."""
    number: int | None = None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    shown = repr(value)[:40]
    if number is None:
        raise ToxicError(f"{what}={shown} is not a whole number")
    if number < low or number > _MAX:
        raise ToxicError(f"{what}={shown} must be {low}..{_MAX}")
    return number


def probability(value: object, what: str) -> float:
    shown = repr(value)[:40]
    try:
        number = float(value) if isinstance(value, str | int | float) else None
    except ValueError:
        number = None
    if number is None or isinstance(value, bool) or not 0.0 <= number <= 1.0:
        raise ToxicError(f"{what}={shown} must be a number between 0 and 1")
    return number


def stream_name(value: object, what: str) -> str:
    if value not in STREAMS:
        raise ToxicError(f"{what}={repr(value)[:40]} must be upstream or downstream")
    return str(value)


def toxic_name(value: object, what: str) -> str:
    text = value if isinstance(value, str) else ""
    if not text or len(text) > 64 or not all(c.isalnum() or c in "_-." for c in text):
        raise ToxicError(f"{what}={repr(value)[:40]} must be 1-64 letters, digits, _ - .")
    return text
