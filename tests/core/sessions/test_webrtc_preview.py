"""`--record-pixels`' tap: a thumbnail of each received frame, after the frame's own
handler, at most `PIXELS_MAX_FRAMES` a session, at most `PIXELS_MAX_WIDTH` wide."""

from __future__ import annotations

import asyncio
from typing import Any

import av
import numpy as np
import pytest

from app.core.events import Event, VideoFrame
from app.core.sessions import webrtc_preview
from app.core.sessions.webrtc_preview import PIXELS_MAX_WIDTH, PixelTap


class Client:
    def __init__(self) -> None:
        self.handled: list[int] = []

    def _on_frame(self, frame: Any, t: int) -> None:
        self.handled.append(t)


async def test_the_pixel_tap_is_bounded_and_after_the_frames_own_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webrtc_preview, "PIXELS_MAX_FRAMES", 3)
    events: list[Event] = []
    client = Client()
    tap = PixelTap(0, events.append, enabled=True)
    tap.install(client, lambda: 7)  # type: ignore[arg-type]
    frame = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8), format="rgb24")
    for t in range(5):
        client._on_frame(frame, t)
    for _ in range(10):  # the thumbnails are callbacks of their own
        await asyncio.sleep(0)
    assert client.handled == [0, 1, 2, 3, 4]  # every frame timed
    pictures = [e for e in events if isinstance(e, VideoFrame)]
    assert len(pictures) == 3 and {p.frame_id for p in pictures} == {7}
    assert (pictures[0].width, pictures[0].height) == (PIXELS_MAX_WIDTH, 120)
    assert pictures[0].direction == "in" and pictures[0].source_width == 320


async def test_the_pixel_tap_off_does_nothing() -> None:
    events: list[Event] = []
    client = Client()
    handler = client._on_frame
    PixelTap(0, events.append, enabled=False).install(client, lambda: None)  # type: ignore[arg-type]
    assert client._on_frame == handler and not events
