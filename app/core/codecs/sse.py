"""Server-Sent Events, client side: bytes in, events out, per the WHATWG HTML spec.

Follows "9.2.6 Interpreting an event stream" exactly, so what we measure is what a
browser's EventSource would see: UTF-8 with one optional leading BOM (invalid bytes
become U+FFFD), lines ended by CRLF, LF or CR, `field: value` lines with one space
after the colon removed, events dispatched on a blank line, and an unterminated
event at the end of the stream discarded.

Incremental and pure (no I/O, no asyncio): `feed()` any split of the byte stream
and the events come out the same as if it were fed whole — a CR at the end of one
chunk and an LF at the start of the next are one line end, and a UTF-8 character
may be split anywhere. Kept lean because at ~75k events/s the client parser, not
the server, is the bottleneck (measured on a 2-core machine).

Bounded: a line longer than `max_size`, or an event whose data lines add up to more,
raises `SseTooLarge` before the parser holds more than that (a server streaming bytes
with no newline cannot fill our memory). Sizes count decoded characters, which is
bytes for ASCII and never more than the bytes received.
"""

from __future__ import annotations

import codecs
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

MAX_KEPT_COMMENTS = 1000  # a bound, so a consumer that never takes them cannot leak
DEFAULT_MAX_SIZE = 64 * 1024 * 1024  # longest line, largest event: generous


class SseTooLarge(ValueError):
    """A line or an event over the parser's `max_size`; the stream cannot go on."""

    def __init__(self, what: str, limit: int) -> None:
        self.what = what  # "line" | "event"
        self.limit = limit
        super().__init__(f"SSE {what} over the {limit:,}-byte limit")


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event.

    `id` is the stream's last event ID at dispatch (it persists across events until
    an `id:` line changes it); `retry` is a valid `retry:` value seen since the previous
    event: in this event's block, or in a block with no data before it (which
    dispatches nothing), so a recording that writes it back loses none. The parser's
    `retry` keeps the current reconnection time.
    """

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None

    def json(self) -> Any:
        """The data as JSON (raises ValueError when it is not)."""
        try:
            return json.loads(self.data)
        except RecursionError:  # nested too deeply for Python's parser: not JSON to us
            raise ValueError("event data is JSON nested too deeply to parse") from None


class SseParser:
    """Incremental event-stream interpreter: `feed()` chunks, then `close()`.

    Comment lines (`:` first, e.g. the keep-alive `: ping`) are counted in
    `comments`; with `keep_comments=True` their text (after the colon, one leading
    space removed) is also kept for `take_comments()`, to show keep-alives live.
    """

    __slots__ = (
        "_after_cr",
        "_carried",
        "_data",
        "_data_size",
        "_decoder",
        "_event",
        "_kept",
        "_pending",
        "_pending_size",
        "_retry",
        "comments",
        "last_event_id",
        "max_size",
        "retry",
    )

    def __init__(self, *, keep_comments: bool = False, max_size: int = DEFAULT_MAX_SIZE) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._pending: list[str] = []  # text of the current, unterminated line
        self._pending_size = 0  # its length
        self._data_size = 0  # characters in `_data`
        self.max_size = max_size
        self._after_cr = False  # the last text ended in CR: drop an LF that follows
        self._data: list[str] = []  # data buffer, one item per `data` line
        self._event = ""  # event type buffer
        self._retry: int | None = None  # `retry` seen in the current block
        self._carried: int | None = None  # `retry` of a block with no data, for the next event
        self._kept: deque[str] | None = deque(maxlen=MAX_KEPT_COMMENTS) if keep_comments else None
        self.last_event_id = ""
        self.retry: int | None = None  # the reconnection time in ms, once a server set one
        self.comments = 0

    @property
    def buffered(self) -> int:
        """Characters held for the line and the event not yet complete (at most `max_size` each)."""
        return self._pending_size + self._data_size

    @property
    def pending(self) -> bool:
        """True while a line or an event is only partly received (a cut would lose it)."""
        return bool(self._pending or self._data or self._event or self._retry is not None)

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Parse the next bytes of the stream; return the events they completed."""
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if self._after_cr:
            self._after_cr = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            self._after_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            self._hold(text)
            return []
        if self._pending:
            self._pending.append(text)
            text = "".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
        lines = text.split("\n")
        tail = lines.pop()
        if len(text) > self.max_size and max(map(len, lines)) > self.max_size:
            raise SseTooLarge("line", self.max_size)
        if tail:
            self._hold(tail)
        return self._lines(lines)

    def _hold(self, text: str) -> None:
        """Keep the start of a line, refusing it once it is longer than `max_size`."""
        size = self._pending_size + len(text)
        if size > self.max_size:
            raise SseTooLarge("line", self.max_size)
        self._pending.append(text)
        self._pending_size = size

    def close(self) -> list[SseEvent]:
        """End of stream: per spec an unterminated event is discarded, so never any events.

        Check `pending` before calling to learn whether something was cut off.
        """
        self._decoder.decode(b"", final=True)
        self._decoder.reset()
        self._pending.clear()
        self._pending_size = self._data_size = 0
        self._after_cr = False
        self._data.clear()
        self._event = ""
        self._retry = self._carried = None
        return []

    def take_comments(self) -> list[str]:
        """The comments kept since the last call (needs `keep_comments=True`)."""
        if not self._kept:
            return []
        kept = list(self._kept)
        self._kept.clear()
        return kept

    def _lines(self, lines: list[str]) -> list[SseEvent]:
        events: list[SseEvent] = []
        data = self._data
        for line in lines:
            if not line:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
                continue
            if line[0] == ":":
                self.comments += 1
                if self._kept is not None:
                    self._kept.append(line[2:] if line[1:2] == " " else line[1:])
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                self._data_size += len(value) + 1
                if self._data_size > self.max_size + 1:
                    raise SseTooLarge("event", self.max_size)
                data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self.last_event_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                self.retry = self._retry = int(value)
            # any other field is ignored, as the spec says
        return events

    def _dispatch(self) -> SseEvent | None:
        """A blank line: fire the buffered event, if it has any data lines."""
        retry, self._retry = self._retry, None
        event, self._event = self._event, ""
        if not self._data:
            if retry is not None:
                self._carried = retry  # no event to carry it: the next one does
            return None
        if retry is None:
            retry = self._carried
        self._carried = None
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        self._data.clear()
        self._data_size = 0
        return SseEvent(data, event or "message", self.last_event_id, retry)
