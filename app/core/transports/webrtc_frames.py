"""What the WebRTC client measures, and the frame accounting behind it.

`FrameTracker` turns the marker read from each received frame into a `FrameInfo`:
- v2v: latency = receive time - send time of that frame id; a repeated id is a
  duplicate (ignored), a gap in ids counts lost frames;
- generated: the marker is `pack_world(action_id, seq)`; a gap in seq counts lost
  frames and the first frame carrying a new action id resolves the `action`s sent up
  to that id (`ActionResult`: time from sending the action to that frame).
Frames whose marker cannot be read are not lost: they arrived with the marker spoilt,
so they are subtracted from the next gap. No peer connection here: the client feeds it.
"""

from __future__ import annotations

import contextlib
import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from app.core.codecs import webrtc_marker as marker
from app.core.media.sources import MarkedSource

Mode = Literal["v2v", "generated"]
ACTION_MASK = (1 << marker.WORLD_ACTION_BITS) - 1
SEQ_MASK = (1 << marker.WORLD_SEQ_BITS) - 1


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """One received (decoded) frame."""

    t_ns: int
    value: int | None  # the marker as read; None when absent or unreadable
    latency_ns: int | None  # v2v: receive - send of this frame id (fresh frames only)
    hold_ns: int | None  # of which aiortc's jitter buffer held it (first packet -> release)
    decode_ns: int | None  # release -> delivered to us (decoder thread and loop hop)
    width: int
    height: int
    duplicate: bool = False  # a marker already seen (encoder skipped it, or a paused scene)
    lost_before: int = 0  # frames missing just before this one
    action_id: int | None = None  # generated: the last action the frame reflects


@dataclass(frozen=True, slots=True)
class ActionResult:
    """An `action` message and the first frame that reflected it (None: none yet)."""

    index: int  # 0-based, in sending order
    action: str
    sent_ns: int
    done_ns: int | None

    @property
    def latency_ns(self) -> int | None:
        return None if self.done_ns is None else self.done_ns - self.sent_ns


@dataclass(frozen=True, slots=True)
class DataMessage:
    """A data channel message; yolo-style detections `{"frame": id, …}` are timed."""

    t_ns: int
    label: str
    data: Any  # decoded JSON when it is JSON text, else the raw str/bytes
    size: int
    frame_id: int | None = None
    latency_ns: int | None = None  # receive - send time of that frame id
    raw: str | bytes = b""  # the message as it came, for the inspector's Hex view


@dataclass
class Timings:
    """Set-up milestones (perf_counter ns); `values()` turns them into milliseconds."""

    start_ns: int = 0
    socket_ns: int | None = None
    ready_ns: int | None = None
    offer_ns: int | None = None
    answer_ns: int | None = None
    connected_ns: int | None = None
    first_frame_ns: int | None = None

    def values(self) -> dict[str, float]:
        def ms(a: int | None, b: int | None) -> float | None:
            return None if a is None or b is None else round((b - a) / 1e6, 3)

        pairs = {
            "signaling_open_ms": ms(self.start_ns, self.socket_ns),
            "ready_ms": ms(self.start_ns, self.ready_ns),
            "answer_ms": ms(self.offer_ns, self.answer_ns),
            "ice_dtls_ms": ms(self.answer_ns, self.connected_ns),
            "time_to_connected_ms": ms(self.start_ns, self.connected_ns),
            "time_to_first_frame_ms": ms(self.start_ns, self.first_frame_ns),
        }
        return {k: v for k, v in pairs.items() if v is not None}


@dataclass
class FrameCounters:
    received: int = 0  # decoded frames delivered
    fresh: int = 0  # with a marker not seen before
    duplicates: int = 0
    unreadable: int = 0  # no readable marker
    lost: int = 0  # gaps in frame ids (v2v) or in the scene's seq (generated)
    timed: int = 0  # fresh frames matched to a send time
    detections: int = 0  # data channel messages


class FrameTracker:
    """Marker values in, `FrameInfo`s and resolved actions out; see the module docstring."""

    def __init__(self, mode: Mode, source: MarkedSource | None) -> None:
        self.mode = mode
        self.source = source
        self.counters = FrameCounters()
        self.last_id = (source.first_id - 1) if source is not None else 0
        self._last_seq: int | None = None
        self._unread = 0  # unreadable frames since the last readable one
        self._last_action: int | None = None
        self._actions: deque[ActionResult] = deque()  # sent, not yet reflected
        self._actions_sent = 0

    # -- actions -----------------------------------------------------------------------
    def action_sent(self, action: str, t: int) -> int:
        """Remember an `action` sent at `t`; returns its 0-based index."""
        index = self._actions_sent
        self._actions_sent += 1
        self._actions.append(ActionResult(index, action, t, None))
        return index

    @property
    def pending_actions(self) -> int:
        return len(self._actions)

    def expire_actions(self, older_than_ns: int) -> list[ActionResult]:
        """Pending actions sent before `older_than_ns`, removed and returned (done_ns None)."""
        out = []
        while self._actions and self._actions[0].sent_ns < older_than_ns:
            out.append(self._actions.popleft())
        return out

    # -- frames ------------------------------------------------------------------------
    def frames_in_flight_lost(self, cutoff_ns: int) -> int:
        """v2v at the end: frames sent before `cutoff_ns` that never came back."""
        src = self.source
        if src is None:
            return 0
        lost = 0
        for frame_id in range(self.last_id + 1, src.last_id + 1):
            t = src.sent.get(frame_id)
            if t is not None and t < cutoff_ns:
                lost += 1
        return lost

    def track(
        self,
        value: int | None,
        t: int,
        *,
        width: int,
        height: int,
        hold_ns: int | None = None,
        decode_ns: int | None = None,
    ) -> tuple[FrameInfo, list[ActionResult]]:
        """One received frame with marker `value`: its info and the actions it resolved."""
        c = self.counters
        c.received += 1
        latency = None
        duplicate = False
        lost = 0
        action_id = None
        resolved: list[ActionResult] = []
        if value is None:
            c.unreadable += 1
            self._unread += 1  # not lost: received with its marker spoilt
        elif self.mode == "v2v":
            duplicate, lost, latency = self._track_v2v(value, t)
        else:
            action_id, seq = marker.unpack_world(value)
            if self._last_seq is not None:
                step = (seq - self._last_seq) & SEQ_MASK
                if step == 0 or step > SEQ_MASK // 2:
                    duplicate = True
                else:
                    lost, self._unread = max(0, step - 1 - self._unread), 0
            if not duplicate:
                self._last_seq = seq
            if action_id != self._last_action:
                self._last_action = action_id
                resolved = self._resolve_actions(action_id, t)
        if duplicate:
            c.duplicates += 1
        elif value is not None:
            c.fresh += 1
        c.lost += lost
        info = FrameInfo(
            t_ns=t,
            value=value,
            latency_ns=latency,
            hold_ns=hold_ns,
            decode_ns=decode_ns,
            width=width,
            height=height,
            duplicate=duplicate,
            lost_before=lost,
            action_id=action_id,
        )
        return info, resolved

    def _track_v2v(self, value: int, t: int) -> tuple[bool, int, int | None]:
        """(duplicate, lost before, latency) of a frame id coming back."""
        if value <= self.last_id:
            return True, 0, None
        lost = value - self.last_id - 1
        self.last_id = value
        lost, self._unread = max(0, lost - self._unread), 0
        sent = self.source.sent.get(value) if self.source is not None else None
        if sent is None:
            return False, lost, None
        self.counters.timed += 1
        return False, lost, t - sent

    def _resolve_actions(self, action_id: int, t: int) -> list[ActionResult]:
        """The scene applied every action up to `action_id` (1-based, 12-bit wrap)."""
        done = []
        while self._actions:
            pending = self._actions[0]
            expected = (pending.index + 1) & ACTION_MASK
            if (action_id - expected) & ACTION_MASK > ACTION_MASK // 2:
                break  # not reached yet
            self._actions.popleft()
            done.append(ActionResult(pending.index, pending.action, pending.sent_ns, t))
        return done

    # -- data channel ------------------------------------------------------------------
    def data(self, data: str | bytes, t: int, label: str) -> DataMessage:
        """A data channel message, timed when it names a frame id we sent."""
        self.counters.detections += 1
        size = len(data.encode()) if isinstance(data, str) else len(data)
        value: Any = data
        frame_id = latency = None
        if isinstance(data, str):
            with contextlib.suppress(ValueError, RecursionError):  # not JSON, or too deep
                value = json.loads(data)
        frame = value.get("frame") if isinstance(value, dict) else None
        if isinstance(frame, int) and not isinstance(frame, bool):
            frame_id = frame
            if self.source is not None:
                sent = self.source.sent.get(frame_id)
                latency = None if sent is None else t - sent
        return DataMessage(t, label, value, size, frame_id, latency, data)
