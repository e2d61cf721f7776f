"""The one choke point for secrets: everything a run emits passes a `Redactor`.

A server may echo whatever it was sent: the `Authorization` header in a 401 body, the
key in an `x-fal-error` reason or a close reason, a token in a text frame. Each
transport masking its own messages is a rule some transport will forget, so the engine
wraps a run's `emit` once (`Redactor.emit`) and every event's text (errors, state
details, close reasons, inspector frames, connection info) is masked there, whatever
transport produced it. The redactor knows the run's key, its secret header values and
the tokens fetched while it runs: `register` adds a token to the redactor of the run
in progress (a context variable the run's tasks inherit), so the client that fetched it
needs no handle on the engine.

Which headers are secret is decided here too, once, for session files and runs alike.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from app.core.events import (
    RAW_CAP,
    ErrorEvent,
    Event,
    Message,
    RunFinished,
    Sample,
    StateChange,
    StatsSnapshot,
)
from app.core.text import MIN_SECRET_PART, redact

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
SECRET_HEADER_PARTS = (
    "key",
    "token",
    "secret",
    "auth",
    "password",
    "credential",
    "cookie",
)
MAX_DEPTH = 32  # nested inspector data deeper than this is not walked (and not kept)
PARTIAL_SECRET = 4  # a cut frame ending in this much of a secret's start is withheld


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a secret: never written to a file, masked in output."""
    low = name.strip().lower()
    return low in SECRET_HEADERS or any(part in low for part in SECRET_HEADER_PARTS)


def _forms(secret: str) -> Iterator[str]:
    """`secret` and the forms a server may echo it in: percent-encoded (a query string),
    and the credential alone of an `Authorization`-style value ("Key K", "Bearer T")."""
    yield secret
    quoted = quote(secret, safe="")
    if quoted != secret:
        yield quoted
    scheme, sep, credential = secret.strip().partition(" ")
    if sep and scheme.isalpha() and len(credential.strip()) >= MIN_SECRET_PART:
        yield from _forms(credential.strip())


class Redactor:
    """Masks a run's secrets in text, nested values and events; cheap when it has none."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        self.add(*secrets)

    @classmethod
    def for_run(cls, key: str | None, headers: Mapping[str, str]) -> Redactor:
        """A run's redactor: its key and the values of its secret headers."""
        return cls([key, *(v for k, v in headers.items() if is_secret_header(k))])

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def add(self, *secrets: str | None) -> None:
        """Mask these too from now on (a token fetched at connect, …)."""
        for secret in secrets:
            if not secret or not secret.strip():
                continue
            for form in _forms(secret):
                if form not in self._secrets:
                    self._secrets.append(form)
        # longest first, so a secret that contains another is masked whole
        self._secrets.sort(key=len, reverse=True)

    def text(self, text: str) -> str:
        """`text` with every secret masked."""
        if not self._secrets or not text:
            return text
        return redact(text, *self._secrets)

    def value(self, value: Any, depth: int = 0) -> Any:
        """`value` (inspector data, connection info) with every string and bytes in it
        masked, walking dicts, lists, tuples and dataclasses; other values are returned
        as they are."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes | bytearray):
            return self._bytes(bytes(value))
        if depth >= MAX_DEPTH:
            return "<too deeply nested>" if isinstance(value, dict | list | tuple) else value
        if isinstance(value, dict):
            return {self.value(k, depth + 1): self.value(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, depth + 1) for v in value]
        if isinstance(value, tuple):
            return tuple(self.value(v, depth + 1) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            # a decoded frame (FalError, FalMessage, …): the same type, its fields masked
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
            return _changed(value, **{k: self.value(v, depth + 1) for k, v in fields.items()})
        return value

    def holds_secret(self, frame: bytes | str) -> bool:
        """Whether a frame (a Message's `raw`) holds a secret in any form `text` masks,
        or, when it is cut at `RAW_CAP`, ends in the start of one."""
        if not self._secrets:
            return False
        text = frame if isinstance(frame, str) else frame.decode("utf-8", "surrogateescape")
        if self.text(text) != text:
            return True
        if len(frame) < RAW_CAP:
            return False
        tail = text[-max(map(len, self._secrets)) :]
        return any(
            tail.endswith(secret[:n])
            for secret in self._secrets
            for n in range(min(len(secret) - 1, len(tail)), PARTIAL_SECRET - 1, -1)
        )

    def _bytes(self, data: bytes) -> bytes:
        for secret in self._secrets:
            data = data.replace(secret.encode(), b"***")
        return data

    def event(self, event: Event) -> Event:
        """`event` with its text masked; the same object when there was nothing to mask."""
        if not self._secrets:
            return event
        if isinstance(event, Sample):
            if not event.error:
                return event
            return _changed(event, error=self.text(event.error))
        if isinstance(event, ErrorEvent):
            return _changed(event, message=self.text(event.message))
        if isinstance(event, RunFinished):
            return _changed(event, error=self.text(event.error))
        if isinstance(event, StateChange):
            return _changed(event, detail=self.text(event.detail))
        if isinstance(event, Message):
            data = self.value(event.data)
            raw = event.raw
            if raw is not None and (_differs(data, event.data) or self.holds_secret(raw)):
                raw = None  # masking would break the frame's own lengths: withhold it
            if event.sse_fields:
                return _changed(event, data=data, raw=raw, sse_fields=self.value(event.sse_fields))
            return _changed(event, data=data, raw=raw)
        if isinstance(event, StatsSnapshot):
            return _changed(event, values=self.value(event.values))
        return event  # frames, thumbnails, drop counts: numbers and pixels only

    def emit(self, emit: Callable[[Event], None]) -> Callable[[Event], None]:
        """`emit` behind this redactor: what a run's sessions are given."""

        def redacting_emit(event: Event) -> None:
            emit(self.event(event))

        return redacting_emit

    def exception(self, exc: BaseException) -> BaseException:
        """`exc` with its message masked, in place, so a raised error that reaches the
        CLI's last line carries no secret either; returns `exc`."""
        if self._secrets and exc.args:
            exc.args = tuple(self.text(a) if isinstance(a, str) else a for a in exc.args)
            reason = getattr(exc, "reason", None)
            if isinstance(reason, str):
                exc.reason = self.text(reason)  # type: ignore[attr-defined]  # AppError's
        return exc


def _differs(a: Any, b: Any) -> bool:
    """`a != b`, counting a value whose == is not a bool as different (to be safe)."""
    try:
        return bool(a != b)
    except Exception:
        return True


def _changed(event: Any, **fields: Any) -> Any:
    """`event` with `fields` replaced, or `event` itself when none changed."""
    try:
        if all(getattr(event, k) == v for k, v in fields.items()):
            return event
    except Exception:  # a value whose == is not a bool (an array): replace, to be safe
        pass
    return dataclasses.replace(event, **fields)


_current: contextvars.ContextVar[Redactor | None] = contextvars.ContextVar(
    "rtprobe_redactor", default=None
)


@contextmanager
def active(redactor: Redactor) -> Iterator[Redactor]:
    """Make `redactor` the one `register` adds to, for this context and the tasks
    started in it (asyncio copies the context into each new task)."""
    reset = _current.set(redactor)
    try:
        yield redactor
    finally:
        _current.reset(reset)


def register(*secrets: str | None) -> None:
    """A secret learnt while running (a fetched token): mask it in the current run's
    output. Outside a run there is nothing to add it to, and nothing to do."""
    redactor = _current.get()
    if redactor is not None:
        redactor.add(*secrets)
