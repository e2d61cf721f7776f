"""A recorded WebRTC session's run settings, pure: the recorded ones where valid, the
recorded span where not, and never an unbounded run."""

from __future__ import annotations

import pytest

from app.core.config import RunConfig
from app.core.errors import TargetError
from app.core.record.plan import MAX_MEDIA_S, MediaFigures, MediaRun
from app.core.record.replay import media_config
from app.core.targets import Target

URL = "ws://127.0.0.1:9/mock/world/webrtc"
BASE = RunConfig(target=Target("webrtc", URL), timeout_s=5.0)


def _run(settings: dict, actions: list | None = None) -> MediaRun:
    return MediaRun(URL, 0.0, settings, actions or [], MediaFigures(), "entry 0", span_s=4.0)


def test_the_recorded_settings_are_run_again() -> None:
    settings = {"size": "320x240", "fps": 15, "mode": "generated", "signaling": "msgpack"}
    cfg = media_config(_run({**settings, "durationS": 2.5, "actionEveryS": 0.5}), BASE)
    p = cfg.webrtc
    assert (p.width, p.height, p.fps, p.mode, p.signaling) == (
        320,
        240,
        15.0,
        "generated",
        "msgpack",
    )
    assert cfg.duration_s == 2.5 and cfg.count is None and cfg.timeout_s == 5.0
    assert p.action_every_s == 0.5  # no recorded actions: the recorded cycle
    with_actions = media_config(_run({"actionEveryS": 0.5}, [(1.0, "w u")]), BASE)
    assert with_actions.webrtc.action_every_s is None  # the recorded actions instead


@pytest.mark.parametrize(
    ("settings", "count", "duration"),
    [
        ({"durationS": "long", "fps": "fast", "size": 7}, None, 4.0),  # the recorded span
        ({"durationS": 1e12}, None, 4.0),
        ({"count": 10**12}, 10**12, 18.0),  # a frame count, with a backstop
        ({"source": "camera", "count": 50, "durationS": None}, 50, 18.0),
    ],
)
def test_hostile_settings_still_make_a_bounded_run(
    settings: dict, count: int | None, duration: float
) -> None:
    cfg = media_config(_run(settings), BASE)
    assert cfg.count == count and cfg.duration_s == duration <= MAX_MEDIA_S
    assert cfg.webrtc.source == "synthetic" and cfg.webrtc.fps == 30.0


def test_settings_rtprobe_would_refuse_are_one_line() -> None:
    with pytest.raises(TargetError, match=r"entry 0: recorded WebRTC settings: .*fps 500"):
        media_config(_run({"fps": 500}), BASE)
