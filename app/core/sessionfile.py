"""Saving and opening a session: the connections, the embedded mock and its faults.

The file is readable, versioned JSON meant to be shared and kept in a repository:

    {"rtprobe_session": 1, "connections": [...], "mock": {...}, "settings": {...}}

so it never holds a secret. The key is recorded only as its source ("env", "keyring",
"none"); header values whose name looks secret (Authorization, Cookie, X-Api-Key, any
name with "key", "token", "secret", "auth", …) are written as "" and listed under
`redacted_headers`, so the GUI can ask for them again. Reading is lenient where that
is safe (unknown fields are ignored, missing ones take defaults: newer files open in
older versions) and strict where it is not (wrong types raise `SessionFileError`
naming the field, in one line).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from app.core.codecs.ws import PAYLOAD_FORMATS
from app.core.credentials import KEY_SOURCES, REDACTED, load_key
from app.core.errors import ProbeError
from app.core.faultschema import FaultParamError, fault_names, values_from_json
from app.core.inputs import json_kind
from app.core.network.changes import MAX_SCHEDULED, parse_schedule
from app.core.network.impair import NetworkError
from app.core.network.profile import parse_profile
from app.core.redact import is_secret_header  # the one rule: secret headers
from app.core.targets import TRANSPORTS
from app.core.transports.jitter_release import RELEASES
from app.core.verdicts import valid_only

VERSION = 1
VERSION_FIELD = "rtprobe_session"
_MIN_SECRET = 8  # shorter "secrets" would mangle ordinary text when scrubbed

T = TypeVar("T")


class SessionFileError(ProbeError):
    """A session file that cannot be read or is not a valid rtprobe session (one line)."""


@dataclass
class ConnectionSpec:
    """One connection panel's form. `payload` is the text as typed, even invalid JSON."""

    name: str = ""
    transport: str = "realtime"
    target: str = ""
    payload: str = ""
    payload_format: str = "json"
    max_buffering: int = 0  # 0: not sent
    headers: dict[str, str] = field(default_factory=dict)
    redacted_headers: list[str] = field(default_factory=list)  # values to ask for again
    rate: float = 0.0  # messages/s; 0: closed loop
    count: int | None = None  # None: run for `duration`
    duration: float | None = 10.0  # seconds
    concurrency: int = 1
    timeout: float = 10.0  # seconds
    use_jwt: bool = True
    auth_source: str = "env"  # "env", "keyring" or "none": where the key comes from
    # WebRTC
    video_source: str = "synthetic"  # synthetic | file:PATH | camera[:DEVICE]
    video_size: str = "640x480"
    video_fps: float = 30.0
    data_channel: bool = False
    record_pixels: bool = False  # with a recording: small JPEGs of the received frames
    jitter_release: str = "marker"  # marker | next-frame (aiortc's own)
    network: str = ""  # a network preset or profile (app/core/network/profile.py); "": clean
    # WebRTC: changes at set times, as `--network-at` takes them ("5s:3g", "12s:mock:none")
    network_at: list[str] = field(default_factory=list)
    # `--assert` expressions checked at the end of each run ("p99<50ms"); only ones
    # that parse are written, so nothing else typed there (a pasted key) is saved
    assertions: list[str] = field(default_factory=list)


@dataclass
class MockSpec:
    """The embedded mock server. Its own key (if any) is not saved either."""

    enabled: bool = False  # start it when the session is opened
    port: int = 0  # 0: any free port
    timings: bool = False  # x-fal-message timings frames
    # the fault schema's names (app.core.faultschema); absent ones take the mock's default
    faults: dict[str, float | int | None] = field(default_factory=dict)


@dataclass
class Session:
    connections: list[ConnectionSpec] = field(default_factory=list)
    mock: MockSpec = field(default_factory=MockSpec)
    settings: dict[str, Any] = field(default_factory=dict)  # JSON values, GUI preferences


# -- writing -----------------------------------------------------------------------------


def _connection_dict(c: ConnectionSpec) -> dict[str, Any]:
    headers: dict[str, str] = {}
    redacted = [h for h in c.redacted_headers if h in c.headers]
    for name, value in c.headers.items():
        if is_secret_header(name):
            headers[name] = ""
            if name not in redacted:
                redacted.append(name)
        else:
            headers[name] = value
    return {
        "name": c.name,
        "transport": c.transport,
        "target": c.target,
        "payload": c.payload,
        "payload_format": c.payload_format,
        "max_buffering": c.max_buffering,
        "headers": headers,
        "redacted_headers": redacted,
        "rate": c.rate,
        "count": c.count,
        "duration": c.duration,
        "concurrency": c.concurrency,
        "timeout": c.timeout,
        "use_jwt": c.use_jwt,
        "auth_source": c.auth_source,
        "video_source": c.video_source,
        "video_size": c.video_size,
        "video_fps": c.video_fps,
        "data_channel": c.data_channel,
        "record_pixels": c.record_pixels,
        "jitter_release": c.jitter_release,
        "network": c.network,
        "network_at": list(c.network_at),
        "assertions": valid_only(c.assertions),
    }


def _known_faults(faults: dict[str, float | int | None]) -> dict[str, float | int | None]:
    names = fault_names()  # the fault schema's fields, in its order
    return {k: faults[k] for k in names if k in faults}


def dumps(session: Session, *, secrets: Iterable[str | None] = ()) -> str:
    """The file text. Any of `secrets` that still appears (say, a key pasted into a
    payload) is replaced by "***" as a last line of defence."""
    doc = {
        VERSION_FIELD: VERSION,
        "connections": [_connection_dict(c) for c in session.connections],
        "mock": {
            "enabled": session.mock.enabled,
            "port": session.mock.port,
            "timings": session.mock.timings,
            "faults": _known_faults(session.mock.faults),
        },
        "settings": session.settings,
    }
    try:
        text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SessionFileError(f"cannot save session: {exc}") from None
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET:
            # Scrub both the raw value and its JSON-escaped spelling.
            for spelling in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
                text = text.replace(spelling, REDACTED)
    return text + "\n"


def save(path: str | os.PathLike[str], session: Session) -> None:
    """Write `session` atomically (a crash never leaves half a file). The `FAL_KEY`
    in the environment, if any, is scrubbed from the text wherever it appears."""
    target = Path(path)
    text = dumps(session, secrets=[load_key("env")])
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise SessionFileError(f"{target}: cannot write: {exc.strerror or exc}") from None


# -- reading -----------------------------------------------------------------------------


class _Reader:
    """Typed access to one JSON object; errors name the field (`connections[2].rate`)."""

    def __init__(self, obj: Any, where: str, origin: str) -> None:
        self.where = where
        self.origin = origin
        if not isinstance(obj, dict):
            self.fail(where, f"must be an object, not {json_kind(obj)}")
        self.obj: dict[str, Any] = obj

    def fail(self, name: str, problem: str) -> None:
        raise SessionFileError(f"{self.origin}: {name} {problem}")

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, default: T, check: Callable[[Any], bool], wants: str) -> T:
        if key not in self.obj:
            return default
        value = self.obj[key]
        if not check(value):
            self.fail(self._name(key), f"must be {wants}, not {json_kind(value)}")
        return value

    def string(self, key: str, default: str, choices: tuple[str, ...] = ()) -> str:
        value = self.get(key, default, lambda v: isinstance(v, str), "a string")
        if choices and value not in choices:
            self.fail(self._name(key), f"is {value!r}: use one of {', '.join(choices)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        return self.get(key, default, lambda v: isinstance(v, bool), "true or false")

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.get(key, default, _is_int, "a whole number")
        if value < minimum:
            self.fail(self._name(key), f"must be at least {minimum}, not {value}")
        return value

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self.get(key, default, _is_number, "a number")
        if value < minimum:
            self.fail(self._name(key), f"must be at least {minimum:g}, not {value:g}")
        return float(value)

    def optional_int(self, key: str, default: int | None, minimum: int) -> int | None:
        if self.obj.get(key, default) is None:
            return None
        return self.integer(key, default or minimum, minimum)

    def optional_number(self, key: str, default: float | None, minimum: float) -> float | None:
        if self.obj.get(key, default) is None:
            return None
        return self.number(key, default or minimum, minimum)

    def child(self, key: str) -> _Reader:
        return _Reader(self.obj.get(key, {}), self._name(key), self.origin)

    def string_map(self, key: str) -> dict[str, str]:
        value: dict[str, Any] = self.get(key, {}, lambda v: isinstance(v, dict), "an object")
        for name, item in value.items():
            if not isinstance(item, str):
                self.fail(f"{self._name(key)}.{name}", f"must be a string, not {json_kind(item)}")
        return dict(value)

    def string_list(self, key: str) -> list[str]:
        value: list[Any] = self.get(key, [], lambda v: isinstance(v, list), "a list")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(f"{self._name(key)}[{i}]", f"must be a string, not {json_kind(item)}")
        return list(value)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _connection(r: _Reader) -> ConnectionSpec:
    d = ConnectionSpec()
    headers = r.string_map("headers")
    redacted = [h for h in r.string_list("redacted_headers") if h in headers]
    return ConnectionSpec(
        name=r.string("name", d.name),
        transport=r.string("transport", d.transport, TRANSPORTS),
        target=r.string("target", d.target),
        payload=r.string("payload", d.payload),
        payload_format=r.string("payload_format", d.payload_format, PAYLOAD_FORMATS),
        max_buffering=r.integer("max_buffering", d.max_buffering),
        headers=headers,
        redacted_headers=redacted,
        rate=r.number("rate", d.rate),
        count=r.optional_int("count", d.count, 1),
        duration=r.optional_number("duration", d.duration, 0.0),
        concurrency=r.integer("concurrency", d.concurrency, 1),
        timeout=r.number("timeout", d.timeout),
        use_jwt=r.boolean("use_jwt", d.use_jwt),
        auth_source=r.string("auth_source", d.auth_source, KEY_SOURCES),
        video_source=r.string("video_source", d.video_source),
        video_size=r.string("video_size", d.video_size),
        video_fps=r.number("video_fps", d.video_fps),
        data_channel=r.boolean("data_channel", d.data_channel),
        record_pixels=r.boolean("record_pixels", d.record_pixels),
        jitter_release=r.string("jitter_release", d.jitter_release, RELEASES),
        network=_network(r),
        network_at=_network_at(r),
        assertions=r.string_list("assertions"),  # absent in older files: none
    )


def _network(r: _Reader) -> str:
    """The profile as written, checked now: a file naming an unknown preset is refused
    when it is opened, not when its run starts."""
    value = r.string("network", "")
    try:
        parse_profile(value)
    except NetworkError as exc:
        raise SessionFileError(f"{r.origin}: {r._name('network')}: {exc}") from None
    return value


def _network_at(r: _Reader) -> list[str]:
    """The schedule as written, each item checked (absent in older files: none)."""
    items = r.string_list("network_at")
    if len(items) > MAX_SCHEDULED:
        r.fail(r._name("network_at"), f"has {len(items)} changes: at most {MAX_SCHEDULED}")
    for i, item in enumerate(items):
        try:
            parse_schedule([item])
        except NetworkError as exc:
            raise SessionFileError(f"{r.origin}: {r._name('network_at')}[{i}]: {exc}") from None
    return items


def _mock(r: _Reader) -> MockSpec:
    d = MockSpec()
    raw = r.child("faults")
    try:  # checked by the fault schema; unknown names are ignored like any unknown field
        faults = values_from_json(raw.obj, strict=False)
    except FaultParamError as exc:
        shown = f"={exc.shown}" if exc.shown is not None else ""
        raw.fail(f"{raw.where}.{exc.name}{shown}", exc.problem)
    return MockSpec(
        enabled=r.boolean("enabled", d.enabled),
        port=r.integer("port", d.port),
        timings=r.boolean("timings", d.timings),
        faults=faults,
    )


def loads(text: str, origin: str = "session file") -> Session:
    """Parse file text; `origin` (the file name) starts every error message."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionFileError(
            f"{origin}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:  # Python's parser gives up on very deep nesting
        raise SessionFileError(f"{origin}: not JSON we can read (nested too deeply)") from None
    if not isinstance(doc, dict) or VERSION_FIELD not in doc:
        raise SessionFileError(f'{origin}: not an rtprobe session file (no "{VERSION_FIELD}")')
    version = doc[VERSION_FIELD]
    if not _is_int(version) or version < 1:
        raise SessionFileError(
            f"{origin}: {VERSION_FIELD} must be a version number, not {version!r}"
        )
    if version > VERSION:
        raise SessionFileError(
            f"{origin}: session file version {version} is newer than this rtprobe reads "
            f"({VERSION}); update rtprobe"
        )
    top = _Reader(doc, "", origin)
    raw_connections: list[Any] = top.get("connections", [], lambda v: isinstance(v, list), "a list")
    connections = [
        _connection(_Reader(c, f"connections[{i}]", origin)) for i, c in enumerate(raw_connections)
    ]
    settings: dict[str, Any] = top.get("settings", {}, lambda v: isinstance(v, dict), "an object")
    return Session(connections=connections, mock=_mock(top.child("mock")), settings=settings)


def load(path: str | os.PathLike[str]) -> Session:
    """Read a session file; any problem is a one-line `SessionFileError`."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SessionFileError(f"{source}: no such file") from None
    except UnicodeDecodeError:
        raise SessionFileError(f"{source.name}: not a text (UTF-8) file") from None
    except OSError as exc:
        raise SessionFileError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return loads(text, source.name)
