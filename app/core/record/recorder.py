"""Folds a run's events into a HAR recording (`app.core.record.har`).

The recorder is one more consumer of the engine's event stream, fed after the run's
`Redactor` (so every frame it sees is already masked), with the run recording its
frames (`RunConfig.record_messages`, which makes the sessions emit a `Message` per
frame with its bytes in `raw`). Nothing in the engine or the transports knows it
exists: a run without `--record` pays nothing for it.

- realtime, raw WebSocket and WebRTC: one WebSocket entry per connection of a session
  (it opens at the session's `connecting`, closes at the next state change that ends a
  connection), each frame with its time, direction, opcode and bytes; WebRTC's entries
  hold the signaling messages and, in `_rtprobeFrames`, every video frame's time,
  marker id and latency (no pixels, unless `record_pixels`: a small JPEG of each of a
  session's first received frames, `app.core.record.pixels`), in `_rtprobeSettings`
  what the session was run with (size, fps, mode, signaling, duration…) and in
  `_rtprobeActions` each action's outcome and latency, so `rtprobe replay` can run
  the session again and compare;
- SSE: one entry per request, its body as postData, its events with their arrival
  times and every field (`event`, `id`, `retry`, data), its outcome. Events carry no
  request id, so an event goes to the oldest request of its session still streaming:
  exact for closed loop, by order when an open-loop run overlaps streams.

A frame the redactor withheld (`raw` None because it held a secret) or that the
inspector cut at `RAW_CAP` is written again from its decoded (masked) value, and at
the end the whole file passes the run's redactor once more, binary frames included.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgpack

from app.core.config import RunConfig
from app.core.events import (
    RAW_CAP,
    Event,
    FrameSample,
    Message,
    Sample,
    StateChange,
    StatsSnapshot,
    VideoFrame,
)
from app.core.record import har, pixels
from app.core.redact import Redactor, is_secret_header
from app.core.sessions import registry

MASK = "***"
MAX_RECORD_BYTES = 256 * 1024 * 1024  # frames past this are counted, not kept
MAX_VIDEO_FRAMES = 500_000  # per entry
ENDS_CONNECTION = ("connecting", "reconnecting", "closed", "failed")
BINARY_KINDS = ("input", "output", "binary")


def _size(frame: bytes | str) -> int:
    return len(frame) if isinstance(frame, bytes) else len(frame.encode())


def _jsonable(value: Any) -> Any:
    """A decoded value as JSON can hold it (bytes as a note, dataclasses as dicts)."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)


class Recorder:
    """Feed it a run's (redacted) events; `write` the HAR at the end."""

    def __init__(self, config: RunConfig, version: str = "") -> None:
        self.config = config
        self.version = version
        self.transport = config.transport
        self.over_http = registry.fact(self.transport, "over_http")  # SSE: HAR entries per request
        self.media = registry.fact(self.transport, "measures_frames")  # WebRTC
        self.msgpack_frames = registry.fact(self.transport, "speaks_msgpack")
        # engine clock (perf_counter_ns) -> epoch seconds, fixed once for the run
        self._epoch_at_zero = time.time() - time.perf_counter_ns() / 1e9
        self.entries: list[har.Entry] = []
        self._open: dict[int, har.Entry] = {}  # session -> its connection's entry
        self._connecting: dict[int, int] = {}  # session -> t_ns of its last "connecting"
        self._streams: dict[int, deque[har.Entry]] = {}  # SSE: requests still streaming
        self._by_seq: dict[tuple[int, int], har.Entry] = {}
        # each WebSocket entry's frames as the Messages that carried them, kept as they
        # come (an append: the engine's loop pays nothing more) and turned into HAR
        # frames only when the file is written
        self._frames: dict[int, list[Message]] = {}
        self.kept_bytes = 0
        self.dropped_frames = 0  # over MAX_RECORD_BYTES: counted, not kept
        self.signaling_binary = config.webrtc.signaling == "msgpack"
        # WebRTC: each session's last frames in, for their pictures (`--record-pixels`)
        self._recent_in: dict[int, deque[dict[str, Any]]] = {}

    def epoch(self, t_ns: int) -> float:
        return round(self._epoch_at_zero + t_ns / 1e9, 6)

    # -- what a connection looks like -------------------------------------------------
    def _ws_url(self) -> str:
        cfg = self.config
        parts = urlsplit(cfg.target.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if cfg.credentials.key and cfg.credentials.use_jwt and cfg.target.token_url:
            query.append(("fal_jwt_token", MASK))
        if cfg.ws.max_buffering is not None:
            query.append(("max_buffering", str(cfg.ws.max_buffering)))
        return urlunsplit(parts._replace(query=urlencode(query, safe="*")))

    def _headers(self, *extra: tuple[str, str]) -> list[tuple[str, str]]:
        cfg = self.config
        out = [("Host", urlsplit(cfg.target.url).netloc), *extra]
        out += [(k, MASK if is_secret_header(k) else v) for k, v in cfg.headers.items()]
        if cfg.credentials.key and not (
            cfg.credentials.use_jwt and cfg.target.token_url and not self.over_http
        ):
            out.append(("Authorization", MASK))
        return out

    def _new_ws_entry(self, session: int, t_ns: int) -> har.Entry:
        start = self._connecting.get(session, t_ns)
        entry = har.Entry(
            kind="websocket",
            url=self._ws_url(),
            started=self.epoch(start),
            time_ms=max(0.0, (t_ns - start) / 1e6),
            request_headers=self._headers(("Upgrade", "websocket"), ("Connection", "Upgrade")),
            response_headers=[("Upgrade", "websocket"), ("Connection", "Upgrade")],
            transport=self.transport,
            session=session,
        )
        if self.media:
            entry.private["_rtprobeSettings"] = self.media_settings()
        self.entries.append(entry)
        self._open[session] = entry
        return entry

    def media_settings(self) -> dict[str, Any]:
        """What a WebRTC session was run with, for a replay to run it again (the source
        only by kind: a file's path or a camera is this machine's)."""
        cfg, p = self.config, self.config.webrtc
        out: dict[str, Any] = {
            "source": p.source if p.source == "synthetic" else p.source.split(":", 1)[0],
            "size": f"{p.width}x{p.height}",
            "fps": p.fps,
            "mode": p.mode,
            "signaling": p.signaling,
            "flavour": p.flavour,
            "dataChannel": p.data_channel,
            "jitterRelease": p.jitter_release,
            "actionEveryS": p.action_every_s,
            "durationS": cfg.duration_s,
            "count": cfg.count,
            "concurrency": cfg.concurrency,
        }
        if p.network:
            out["network"] = p.network
        return {k: v for k, v in out.items() if v is not None}

    # -- the events ---------------------------------------------------------------------
    def feed(self, event: Event) -> None:
        if isinstance(event, Message):
            self._message(event)
        elif isinstance(event, StateChange):
            if event.state in ENDS_CONNECTION:
                self._open.pop(event.session, None)
                if event.state == "connecting":
                    self._connecting[event.session] = event.t_ns
            elif (
                event.state == "connected"
                and not self.over_http
                and event.session not in self._open
            ):
                self._new_ws_entry(event.session, event.t_ns)
        elif isinstance(event, Sample):
            if self.over_http:
                self._sse_done(event)
            elif self.media:
                self._action_done(event)
        elif isinstance(event, FrameSample):
            self._video_frame(event)
        elif isinstance(event, VideoFrame):
            if self.config.webrtc.record_pixels and event.direction == "in":
                self._pixels(event)
        elif isinstance(event, StatsSnapshot):
            entry = self._open.get(event.session)
            if entry is not None and "_rtprobeConnection" not in entry.private:
                entry.private["_rtprobeConnection"] = _jsonable(event.values)
                if event.values.get("signaling") == "msgpack":
                    self.signaling_binary = True

    def _keep(self, n: int) -> bool:
        if self.kept_bytes + n > MAX_RECORD_BYTES:
            self.dropped_frames += 1
            return False
        self.kept_bytes += n
        return True

    def _message(self, m: Message) -> None:
        if self.over_http:
            self._sse_message(m)
            return
        if m.kind == "datachannel":  # not signaling: beside the frames, with their times
            self._data_message(m)
            return
        entry = self._open.get(m.session) or self._new_ws_entry(m.session, m.t_ns)
        if self._keep(m.size):
            self._frames.setdefault(id(entry), []).append(m)

    def _ws_frames(self, entry: har.Entry) -> list[har.WsFrame]:
        out = list(entry.frames)
        for m in self._frames.get(id(entry), ()):
            opcode, data = self.frame_of(m)
            way: har.Way = "send" if m.direction == "out" else "receive"
            out.append(har.WsFrame(way, self.epoch(m.t_ns), opcode, data))
        return out

    def frame_of(self, m: Message) -> tuple[int, str | bytes]:
        """The frame as it went: `raw` when it is whole, else made again from `data`."""
        raw = m.raw
        if raw is not None and (len(raw) < RAW_CAP or _size(raw) == m.size):
            return (har.TEXT, raw) if isinstance(raw, str) else (har.BINARY, raw)
        data = m.data
        seq_field = self.config.seq_field
        if m.kind == "input" and m.seq is not None and isinstance(data, dict) and seq_field:
            data = {**data, seq_field: m.seq}  # as it went: the payload tagged with its seq
        if m.kind == "signaling":
            if self.signaling_binary:
                return har.BINARY, msgpack.packb(_jsonable(data), use_bin_type=True)
            return har.TEXT, json.dumps(_jsonable(data), separators=(",", ":"))
        if isinstance(data, bytes | bytearray):
            return har.BINARY, bytes(data)
        if m.kind in BINARY_KINDS and (self.msgpack_frames or isinstance(raw, bytes)):
            try:
                return har.BINARY, msgpack.packb(data, use_bin_type=True)
            except (TypeError, ValueError):
                return har.BINARY, msgpack.packb(_jsonable(data), use_bin_type=True)
        if isinstance(data, str):
            return har.TEXT, data
        if dataclasses.is_dataclass(data) and not isinstance(data, type):
            fields = dataclasses.asdict(data)
            if m.kind == "x-fal-error":
                fields = {
                    "type": "x-fal-error",
                    "error": fields.get("error"),
                    "reason": fields.get("reason"),
                }
            data = fields
        return har.TEXT, json.dumps(_jsonable(data), separators=(",", ":"))

    # -- SSE ----------------------------------------------------------------------------
    def _sse_message(self, m: Message) -> None:
        if m.direction == "out":
            body = None if m.data is None else json.dumps(_jsonable(m.data))
            entry = har.Entry(
                kind="sse",
                url=self.config.target.url,
                started=self.epoch(m.t_ns),
                method=self.config.sse_method,
                request_headers=self._headers(
                    ("Accept", har.SSE_MIME), ("Content-Type", "application/json")
                ),
                request_body=body if self.config.sse_method == "POST" else None,
                status=200,
                status_text="OK",
                response_headers=[("Content-Type", har.SSE_MIME)],
                transport="sse",
                session=m.session,
            )
            self.entries.append(entry)
            self._streams.setdefault(m.session, deque()).append(entry)
            if m.seq is not None:
                self._by_seq[(m.session, m.seq)] = entry
            return
        streams = self._streams.get(m.session)
        if not streams:
            return  # an event after its request ended: nothing to attach it to
        raw = m.raw
        text = raw if isinstance(raw, str) and len(raw) < RAW_CAP else None
        if text is None:
            text = m.data if isinstance(m.data, str) else json.dumps(_jsonable(m.data))
        fields = m.sse_fields or {}
        name, ident, retry = fields.get("event"), fields.get("id"), fields.get("retry")
        if self._keep(len(text)):
            streams[0].events.append(
                har.StreamEvent(
                    self.epoch(m.t_ns),
                    text,
                    name if isinstance(name, str) else "",
                    ident if isinstance(ident, str) else None,
                    retry if isinstance(retry, int) else None,
                )
            )

    def _sse_done(self, s: Sample) -> None:
        entry = self._by_seq.pop((s.session, s.seq), None)
        if entry is None:
            return
        streams = self._streams.get(s.session)
        if streams and entry in streams:
            streams.remove(entry)
        entry.started = self.epoch(s.sent_ns)
        entry.time_ms = (s.done_ns - s.sent_ns) / 1e6
        entry.private["_rtprobeOutcome"] = s.outcome
        if s.error:
            entry.private["_rtprobeError"] = s.error
            if not s.events:
                entry.status, entry.status_text = 0, ""

    # -- WebRTC -------------------------------------------------------------------------
    def _video_frame(self, f: FrameSample) -> None:
        entry = self._open.get(f.session)
        if entry is None:
            return
        frames = entry.private.setdefault("_rtprobeFrames", [])
        if len(frames) >= MAX_VIDEO_FRAMES:
            self.dropped_frames += 1
            return
        item: dict[str, Any] = {"time": self.epoch(f.t_ns), "direction": f.direction}
        if f.frame_id is not None:
            item["frameId"] = f.frame_id
        if f.latency_ns is not None:
            item["latencyMs"] = round(f.latency_ns / 1e6, 3)
        if f.hold_ns is not None:
            item["holdMs"] = round(f.hold_ns / 1e6, 3)
        if f.width:
            item["size"] = f"{f.width}x{f.height}"
        frames.append(item)
        if f.direction == "in":
            self._recent_in.setdefault(f.session, deque(maxlen=32)).append(item)

    def _pixels(self, v: VideoFrame) -> None:
        """`--record-pixels`: the thumbnail of a frame just received, as a JPEG in its
        `_rtprobeFrames` item (the tap sends it after the frame's own FrameSample)."""
        recent = self._recent_in.get(v.session, ())
        item = next(
            (x for x in recent if x.get("frameId") == v.frame_id and "pixels" not in x), None
        )
        if item is None:
            return
        try:
            data = pixels.jpeg_base64(v.width, v.height, v.rgb)
        except Exception:
            self.dropped_frames += 1
            return
        if self._keep(len(data)):
            item["pixels"] = data

    def _data_message(self, m: Message) -> None:
        """A message the server sent on the WebRTC data channel, in `_rtprobeDataChannel`."""
        entry = self._open.get(m.session)
        if entry is None:
            return
        messages = entry.private.setdefault("_rtprobeDataChannel", [])
        if len(messages) >= MAX_VIDEO_FRAMES or not self._keep(m.size):
            self.dropped_frames += 1
            return
        _, data = self.frame_of(m)
        item: dict[str, Any] = {"time": self.epoch(m.t_ns), "direction": "receive"}
        if isinstance(data, bytes):
            item |= {"data": base64.b64encode(data).decode("ascii"), "encoding": "base64"}
        else:
            item["data"] = data
        messages.append(item)

    def _action_done(self, s: Sample) -> None:
        """A WebRTC action's outcome: when it was sent, and its action → frame latency."""
        entry = self._open.get(s.session)
        if entry is None:
            return
        actions = entry.private.setdefault("_rtprobeActions", [])
        if len(actions) >= MAX_VIDEO_FRAMES:
            self.dropped_frames += 1
            return
        item: dict[str, Any] = {"time": self.epoch(s.sent_ns), "index": s.seq}
        item["outcome"] = s.outcome
        if s.outcome == "received":
            item["latencyMs"] = round((s.done_ns - s.sent_ns) / 1e6, 3)
        actions.append(item)

    # -- the file -----------------------------------------------------------------------
    def frame_count(self) -> int:
        """WebSocket frames and SSE events kept so far."""
        frames = sum(len(v) for v in self._frames.values())
        return frames + sum(len(e.frames) + len(e.events) for e in self.entries)

    def har(self, *redactors: Redactor) -> dict[str, Any]:
        """The recording so far, its binary frames cleaned by `redactors` too."""
        entries = [
            dataclasses.replace(e, frames=self._ws_frames(e)) if id(e) in self._frames else e
            for e in self.entries
        ]
        for redactor in redactors:
            if redactor:
                entries = [_clean(e, redactor) for e in entries]
        title = f"rtprobe {self.transport} {self.config.target.display}"
        doc = har.build(entries, self.version, title)
        if self.dropped_frames:
            doc["log"]["_rtprobeDroppedFrames"] = self.dropped_frames
        return doc

    def write(self, path: str | os.PathLike[str], *redactors: Redactor) -> None:
        """Write the HAR through a temporary file and a rename: never half a file."""
        text = har.dumps(self.har(*redactors))
        for redactor in redactors:
            text = redactor.text(text)
        target = Path(path)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _clean(entry: har.Entry, redactor: Redactor) -> har.Entry:
    """`entry` with every binary frame that holds a secret made again without it."""
    frames = []
    changed = False
    for f in entry.frames:
        if isinstance(f.data, bytes) and redactor.holds_secret(f.data):
            changed = True
            try:
                value = msgpack.unpackb(f.data, raw=False)
                data = msgpack.packb(redactor.value(value), use_bin_type=True)
            except Exception:  # not msgpack: mask the bytes themselves
                data = redactor.value(f.data)
            f = dataclasses.replace(f, data=data)
        frames.append(f)
    return dataclasses.replace(entry, frames=frames) if changed else entry
