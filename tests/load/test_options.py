"""rtprobe's flags on Locust's parser, and the run each user gets from them."""

from __future__ import annotations

import argparse

import pytest

from app.core.errors import TargetError
from app.load import options


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    return parser.parse_args(argv)


def test_a_user_runs_one_session_at_its_own_open_loop_rate() -> None:
    opts = _parse("--transport", "ws", "--target", "mock/echo/ws", "--mock-url",
                  "http://127.0.0.1:9000", "--rate", "25", "--timeout", "3")  # fmt: skip
    config = options.config_from_options(opts)
    assert config.transport == "ws" and config.concurrency == 1
    assert config.share(7) == (None, 25.0)  # user 7 of this process: 25 msg/s of its own
    assert config.target.url.startswith("ws://127.0.0.1:9000/")
    assert config.timeout_s == 3 and config.duration_s == options.USER_DURATION_S


def test_no_rate_is_closed_loop_and_the_target_defaults_to_locusts_host() -> None:
    config = options.config_from_options(_parse("--transport", "sse"), host="http://h:1/stream")
    assert config.rate is None and config.target.url == "http://h:1/stream"


def test_a_user_class_fixes_its_transport() -> None:
    opts = _parse("--transport", "ws", "--target", "ws://127.0.0.1:9/x")
    assert options.config_from_options(opts, transport="realtime").transport == "realtime"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give --target"),
        (("--target", "ws://h/x", "--rate", "-1", "--timeout", "0"), "--timeout"),
        (("--target", "ws://h/x", "--payload", "{not json"), "--payload"),
    ],
)
def test_a_bad_flag_is_refused_in_one_line_naming_it(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(TargetError, match=message) as err:
        options.config_from_options(_parse(*argv))
    assert "\n" not in str(err.value)


def test_the_key_comes_from_the_environment_never_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "id:secret")
    config = options.config_from_options(_parse("--target", "ws://127.0.0.1:9/x"))
    assert config.credentials.key == "id:secret"
    with pytest.raises(SystemExit):
        _parse("--key", "id:secret")


def test_webrtc_users_get_the_source_size_and_fps_given(tmp_path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")  # the path is checked when the session opens it, not here
    opts = _parse("--transport", "webrtc", "--target", "mock/yolo/webrtc", "--mock-url",
                  "http://127.0.0.1:9000", "--size", "320x240", "--fps", "15",
                  "--source", f"file:{video}", "--mode", "v2v")  # fmt: skip
    params = options.config_from_options(opts).webrtc
    assert (params.width, params.height, params.fps) == (320, 240, 15.0)
    assert params.source == f"file:{video}" and params.mode == "v2v"


def test_a_bad_video_size_is_refused_in_one_line() -> None:
    opts = _parse("--transport", "webrtc", "--target", "ws://127.0.0.1:9/x", "--size", "big")
    with pytest.raises(TargetError, match="--size") as err:
        options.config_from_options(opts)
    assert "\n" not in str(err.value)
