"""The pure parts of the WebRTC mock: action and candidate parsing, detection, the scene."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from app.core.codecs import webrtc_marker as marker
from server_mock.webrtc import (
    Action,
    Detector,
    WorldScene,
    annotate,
    cell_components,
    error_text,
    parse_action,
    parse_candidate,
)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("q u", Action()),
        ("w u", Action(forward=1)),
        ("q l", Action(yaw=1)),
        ("a i", Action(strafe=-1, pitch=1)),
        ("UP", Action(forward=1)),
        ("left down", Action(strafe=-1, forward=-1)),
        ("w w w", Action(forward=1)),
    ],
)
def test_parse_action(text: str, action: Action) -> None:
    assert parse_action(text) == action


@pytest.mark.parametrize("text", ["w fly", "", "   ", None, 3, ["w"]])
def test_parse_action_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_action(text)


def test_parse_candidate_forms() -> None:
    bare = "842163049 1 udp 1677729535 127.0.0.1 50000 typ host"
    c = parse_candidate({"candidate": "candidate:" + bare, "sdpMid": "0", "sdpMLineIndex": 0})
    assert c is not None
    assert (c.ip, c.port, c.type, c.sdpMid, c.sdpMLineIndex) == ("127.0.0.1", 50000, "host", "0", 0)
    assert parse_candidate("a=candidate:" + bare) is not None
    for end in (None, "", {"candidate": ""}, {"candidate": None, "sdpMid": "0"}):
        assert parse_candidate(end) is None


@pytest.mark.parametrize(
    "raw",
    [
        "candidate:1 2 3",
        {"candidate": "candidate:1 1 udp x 127.0.0.1 9 typ host"},
        {"candidate": 5},
        {"candidate": "1 1 udp 1 127.0.0.1 9 typ host", "sdpMLineIndex": "0"},
        7,
    ],
)
def test_parse_candidate_rejects(raw: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        parse_candidate(raw)


def test_error_text_is_one_line() -> None:
    assert error_text("ice_failed", ValueError("bad\nthing")) == "ice_failed:ValueError:bad thing"
    assert (
        error_text("offer_failed", AssertionError())
        == "offer_failed:AssertionError:AssertionError()"
    )


def test_cell_components() -> None:
    mask = np.array(
        [
            [1, 1, 0, 0],
            [0, 1, 0, 1],
            [0, 0, 0, 1],
            [1, 0, 0, 0],
        ],
        dtype=bool,
    )
    groups = sorted(sorted(g) for g in cell_components(mask))
    assert groups == [[(0, 0), (0, 1), (1, 1)], [(1, 3), (2, 3)], [(3, 0)]]


def luma_with_square(x: int, y: int, size: int = 64) -> np.ndarray:
    luma = np.full((480, 640), 40, np.uint8)
    luma[y : y + size, x : x + size] = 160
    return luma


def test_detector_finds_motion_and_bright_but_not_the_marker() -> None:
    detector = Detector()
    assert detector.detect(luma_with_square(320, 240)) == []  # no previous frame yet
    frame = luma_with_square(320, 240)
    frame[320:400, 480:560] = 250  # static and bright
    frame[300:340, 300:340] = np.random.default_rng(0).integers(0, 255, (40, 40))  # moving
    marker.stamp(frame, 7)  # changes, but must not be detected
    boxes = detector.detect(frame)
    kinds = {b.kind for b in boxes}
    assert kinds == {"motion", "bright"}
    _, _, mw, mh = marker.marker_region(640, 480)
    assert all(b.x >= mw or b.y >= mh for b in boxes)
    bright = next(b for b in boxes if b.kind == "bright")
    assert (bright.x, bright.y, bright.w, bright.h) == (480, 320, 80, 80)


@pytest.mark.parametrize(("width", "height", "fmt"), [(640, 480, "yuv420p"), (321, 241, "rgb24")])
def test_annotate_keeps_size_pts_and_marker(width: int, height: int, fmt: str) -> None:
    detector = Detector()
    out = None
    for i in range(3):
        img = np.full((height, width, 3), 40, np.uint8)
        img[100:180, 40 * i + 60 : 40 * i + 140] = 180
        marker.stamp(img, 1000 + i)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=fmt)
        frame.pts, frame.time_base = 3000 * i, Fraction(1, 90000)
        out, boxes, value = annotate(frame, detector)
        assert value == 1000 + i
        assert (out.width, out.height, out.pts, out.time_base) == (
            width,
            height,
            3000 * i,
            frame.time_base,
        )
    assert out is not None and boxes
    rgb = out.to_ndarray(format="rgb24")
    assert marker.read(rgb) == 1002
    r, g, b = (rgb[..., c].astype(int) for c in range(3))
    assert ((g > r + 80) & (g > b + 80)).any()  # green outlines drawn


def test_world_scene_marks_action_and_seq() -> None:
    scene = WorldScene()
    scene.step()
    img = scene.render()
    assert img.shape == (352, 640, 3)
    assert marker.unpack_world(marker.read(img) or -1) == (0, 1)
    assert scene.apply(parse_action("w l")) == 1
    scene.step()
    moved = scene.render()
    assert marker.unpack_world(marker.read(moved) or -1) == (1, 2)
    x, y, w, h = marker.marker_region(640, 352)
    img[: y + h, : x + w] = moved[: y + h, : x + w] = 0
    assert not np.array_equal(img, moved)


def test_world_scene_clamps_pitch() -> None:
    scene = WorldScene()
    scene.apply(parse_action("k"))
    for _ in range(500):
        scene.step()
    assert 0 < scene.horizon < scene.height
    assert scene.render().shape == (352, 640, 3)
