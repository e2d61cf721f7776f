"""The mock's fault settings, declared once: every place that names a fault reads them here.

`FaultConfig` is a frozen dataclass whose fields carry, in `metadata`, their type, unit,
bounds, help and GUI label. From it come the `rtprobe mock` flags, the per-connection
query parameters (`?latency_ms=20&drop=0.1`), the JSON of `GET/PUT /_mock/faults`, the
`mock.faults` keys of a session file and the GUI's fault fields; adding a field here adds
it to all five. Pure: no I/O, so both core (session files) and the mock can use it.

Every entry point validates with the same rules and fails with one `FaultParamError`
line naming the parameter, its value and what is wrong with it.

Functions that take `schema` read the module's current `FaultConfig` when none is given,
so a wider schema (a subclass with one more `fault(...)` field) can stand in for it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from app.core.inputs import json_kind

T = TypeVar("T")
Value = float | int | None
C = TypeVar("C", bound="FaultConfig")

_SHOWN_MAX = 40  # characters of a rejected value quoted back in an error
_COUNT_MAX = 1_000_000_000
_MS_MAX = 3_600_000.0  # one hour: longer "faults" are typing mistakes, and sleeps overflow


class FaultParamError(ValueError):
    """A fault parameter that is unknown, of the wrong type or out of range (one line)."""

    def __init__(
        self, name: str, problem: str, shown: str | None = None, *, text: str | None = None
    ) -> None:
        self.name = name
        self.problem = problem
        self.shown = shown  # the rejected value as the user wrote it, quoted
        where = f"{name}={shown}" if shown is not None else name
        super().__init__(text or f"fault parameter {where} {problem}")


def fault(
    default: T,
    *,
    type: type[int] | type[float] = float,
    unit: str = "",
    bounds: tuple[float, float | None] = (0.0, None),
    help: str,
    label: str = "",
    injects: bool = True,
    gui: bool = False,
    zero: str | None = None,
) -> T:
    """Declare one fault setting. `injects`: a non-zero value injects something by itself
    (False for settings that only shape other faults, like `seed`); `gui`: shown in the
    GUI's fault editor; `zero`: what 0 means, where there is room to say so ("never")."""
    return dataclasses.field(
        default=default,
        metadata={
            "type": type,
            "unit": unit,
            "bounds": bounds,
            "help": help,
            "label": label,
            "injects": injects,
            "gui": gui,
            "zero": zero,
        },
    )


def _ms(help: str, label: str, *, gui: bool = False) -> float:
    """A duration fault in milliseconds, off at 0."""
    return fault(0.0, unit="ms", bounds=(0.0, _MS_MAX), help=help, label=label, gui=gui)


def _probability(help: str, label: str, *, gui: bool = False) -> float:
    """A fault that happens with this probability per output, off at 0."""
    return fault(0.0, unit="probability", bounds=(0.0, 1.0), help=help, label=label, gui=gui)


def _outputs(default: int, help: str, label: str, **more: Any) -> int:
    """A count of outputs (whole, from 0)."""
    return fault(
        default, type=int, unit="outputs", bounds=(0, _COUNT_MAX), help=help, label=label, **more
    )


@dataclass(frozen=True)
class FaultConfig:
    """Faults applied to every session unless a connection's query overrides them.

    Probabilities are in 0..1; durations in milliseconds; 0 disables a fault.
    """

    latency_ms: float = _ms(
        "added latency before each output, event or answer", "latency", gui=True
    )
    jitter_ms: float = _ms(
        "uniform +- jitter around the latency, never below 0", "jitter", gui=True
    )
    drop: float = _probability("probability that an output is silently dropped", "drop", gui=True)
    error_rate: float = _probability(
        "probability that an output is replaced by an injected error", "errors", gui=True
    )
    disconnect_after: int = _outputs(
        0,
        "abruptly disconnect each session after this many outputs",
        "disconnect after",
        gui=True,
        zero="never",
    )
    slow_start_ms: float = _ms("delay before a session is accepted", "slow start")
    stall_ms: float = _ms("pause the stream this long, once, after stall_after outputs", "stall")
    stall_after: int = _outputs(1, "outputs sent before the stall", "stall after", injects=False)
    frame_drop: float = _probability(
        "WebRTC: probability that a video frame is not sent", "frame drop"
    )
    frame_work_ms: float = _ms(
        "WebRTC: time the app spends on each incoming frame (a slow model)", "frame work"
    )
    seed: int | None = fault(
        None,
        type=int,
        bounds=(0, None),
        help="random seed, for repeatable fault patterns",
        label="seed",
        injects=False,
    )


@dataclass(frozen=True)
class FaultField:
    """One fault setting as every entry point sees it (a view of a field's metadata)."""

    name: str
    type: type[int] | type[float]
    default: Value
    unit: str
    low: float
    high: float | None
    help: str
    label: str
    injects: bool
    gui: bool
    zero: str | None

    @property
    def optional(self) -> bool:
        """Whether null (None) is a valid value: it means "not set"."""
        return self.default is None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def fault_fields(schema: type[FaultConfig] | None = None) -> tuple[FaultField, ...]:
    """The settings of `schema` (default: this module's `FaultConfig`), in order."""
    schema = schema or FaultConfig
    view = _VIEWS.get(schema)
    if view is None:  # asked per message by the mock (is_active): build each view once
        view = _VIEWS[schema] = _view(schema)
    return view


_VIEWS: dict[type[FaultConfig], tuple[FaultField, ...]] = {}


def _view(schema: type[FaultConfig]) -> tuple[FaultField, ...]:
    out = []
    for f in dataclasses.fields(schema):
        m = f.metadata
        if f.default is dataclasses.MISSING or "type" not in m:
            raise TypeError(f"{schema.__name__}.{f.name}: declare every fault with fault(...)")
        low, high = m["bounds"]
        out.append(
            FaultField(
                name=f.name,
                type=m["type"],
                default=f.default,
                unit=m["unit"],
                low=low,
                high=high,
                help=m["help"],
                label=m["label"] or f.name,
                injects=m["injects"],
                gui=m["gui"],
                zero=m["zero"],
            )
        )
    return tuple(out)


def fault_names(schema: type[FaultConfig] | None = None) -> tuple[str, ...]:
    return tuple(f.name for f in fault_fields(schema))


# -- one value -------------------------------------------------------------------------


def _short(shown: str) -> str:
    return shown if len(shown) <= _SHOWN_MAX else shown[: _SHOWN_MAX - 1] + "…"


def _quoted(raw: str) -> str:
    return _short(repr(raw))  # repr escapes newlines: errors stay on one line


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _checked(f: FaultField, value: float, shown: str) -> float | int:
    if isinstance(value, float) and not math.isfinite(value):
        raise FaultParamError(f.name, "is not a finite number", shown)
    out_low, out_high = value < f.low, f.high is not None and value > f.high
    if (out_low or out_high) and f.low == 0 and f.high == 1:
        raise FaultParamError(f.name, "must be between 0 and 1", shown)
    if out_low:
        problem = "must not be negative" if f.low == 0 else f"must be at least {_number(f.low)}"
        raise FaultParamError(f.name, problem, shown)
    if out_high:
        raise FaultParamError(f.name, f"must be at most {_number(f.high or 0)}", shown)
    return value


def parse_text(f: FaultField, raw: str) -> float | int:
    """A value typed as text (a command-line flag, a query parameter)."""
    shown = _quoted(raw)
    try:
        value: float | int = int(raw) if f.type is int else float(raw)
    except ValueError:
        wants = "is not a whole number" if f.type is int else "is not a number"
        raise FaultParamError(f.name, wants, shown) from None
    return _checked(f, value, shown)


def parse_value(f: FaultField, value: object) -> Value:
    """A value decoded from JSON (`PUT /_mock/faults`, a session file)."""
    wants = ("a whole number" if f.type is int else "a number") + (" or null" if f.optional else "")
    if value is None and f.optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultParamError(f.name, f"must be {wants}, not {json_kind(value)}")
    finite = isinstance(value, int) or math.isfinite(value)
    shown = _short(json.dumps(value)) if finite else str(value)
    if f.type is int:
        if isinstance(value, float) and not (finite and value.is_integer()):
            raise FaultParamError(f.name, f"must be {wants}", shown)
        return int(_checked(f, value, shown))
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        raise FaultParamError(f.name, "is not a finite number", shown) from None
    return float(_checked(f, number, shown))


# -- a whole configuration -------------------------------------------------------------


def with_query(base: C, query: Mapping[str, str]) -> C:
    """`base` with the fault parameters present in `query` applied; other names are not
    faults (a query also carries `max_buffering`, tokens, …) and are left alone."""
    fields = fault_fields(type(base))
    changes: dict[str, Any] = {
        f.name: parse_text(f, query[f.name]) for f in fields if f.name in query
    }
    return dataclasses.replace(base, **changes) if changes else base


def values_from_json(
    body: Mapping[str, object], schema: type[FaultConfig] | None = None, *, strict: bool = True
) -> dict[str, Value]:
    """Validated values of a JSON object of faults. An unknown name is an error when
    `strict` (a live change must not silently miss), ignored otherwise (a newer file)."""
    fields = {f.name: f for f in fault_fields(schema)}
    unknown = [name for name in body if name not in fields]
    if strict and unknown:
        shown = ", ".join(n if n.isidentifier() else _quoted(n) for n in sorted(map(str, unknown)))
        problem = f"is unknown (known: {', '.join(fields)})"
        text = f"unknown fault parameter(s): {shown} (known: {', '.join(fields)})"
        raise FaultParamError(str(unknown[0]), problem, text=text)
    return {name: parse_value(fields[name], v) for name, v in body.items() if name in fields}


def with_json(base: C, body: Mapping[str, object]) -> C:
    """`base` with the JSON object `body` of faults applied (unknown names refused)."""
    changes: dict[str, Any] = values_from_json(body, type(base))
    return dataclasses.replace(base, **changes) if changes else base


def to_json(config: FaultConfig) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in fault_fields(type(config))}


def is_active(config: FaultConfig) -> bool:
    """Whether any setting that injects a fault by itself is on."""
    return any(getattr(config, f.name) for f in fault_fields(type(config)) if f.injects)


def describe(values: Mapping[str, object], schema: type[FaultConfig] | None = None) -> str:
    """`latency_ms=30.0, drop=0.1`: the settings that differ from a clean mock."""
    changed = [
        f"{f.name}={values[f.name]}"
        for f in fault_fields(schema)
        if f.name in values and values[f.name] != f.default
    ]
    return ", ".join(changed) or "none"
