"""The one config builder: every bad field is refused in one line that names it, before
anything connects, and the command line and the GUI form build equal runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.cli import build_parser
from app.commands import run as run_command
from app.core.config import RunConfig, WebRtcParams
from app.core.engine.build import (
    DEFAULT_COUNT,
    RunSettings,
    build_config,
    key_from_env,
    label_of,
    payload_of,
)
from app.core.errors import TargetError
from app.gui import connection_settings as gui

BASE = "http://127.0.0.1:9"  # never contacted: building connects to nothing


def settings(**changes: Any) -> RunSettings:
    return replace(RunSettings(transport="realtime", target="mock/echo", base_url=BASE), **changes)


# (field, bad value, words the one line must hold besides the field's name)
BAD_FIELDS: list[tuple[str, Any, str]] = [
    ("count", 0, "at least 1"),
    ("count", -3, "at least 1"),
    ("count", 2.5, "not a whole number"),
    ("concurrency", 0, "at least 1"),
    ("warmup", -1, "at least 0"),
    ("reconnects", -1, "at least 0"),
    ("duration_s", 0.0, "above 0"),
    ("duration_s", float("inf"), "above 0"),
    ("rate", 0.0, "closed loop"),
    ("rate", -5.0, "above 0"),
    ("timeout_s", 0.0, "above 0"),
    ("timeout_s", float("nan"), "above 0"),
    ("actions_every_s", 0.0, "above 0"),
    ("max_buffering", 0, "between 1 and 60"),
    ("max_buffering", 61, "between 1 and 60"),
    ("payload", "{nope", "not valid JSON"),
    ("payload", "[1, 2]", "JSON object for realtime, not an array"),
    ("payload", '"text"', "JSON object for realtime, not a string"),
    ("payload_format", "yaml", "json or msgpack or text or bytes"),
    ("headers", ("nocolon",), "must be Name: value"),
    ("sse_method", "PUT", "POST or GET"),
    ("target", "http://[::1", "not a valid URL"),
    ("target", "justone", "must look like owner/alias"),
    ("video_size", "big", "WIDTHxHEIGHT"),
    ("video_size", "641x480", "even"),
    ("video_fps", 0.0, "between 1 and 120"),
    ("video_fps", 500.0, "between 1 and 120"),
    ("video_mode", "3d", "v2v or generated"),
    ("signaling", "xml", "json or msgpack"),
    ("jitter_release", "soon", "marker or next-frame"),
    ("video_source", "tape", "synthetic, sample, file:PATH"),
    ("video_source", "file:", "synthetic, sample, file:PATH"),
    ("video_source", "synthetic:x", "synthetic, sample, file:PATH"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD_FIELDS)
@pytest.mark.parametrize("labels", [None, run_command.LABELS], ids=["plain", "cli"])
def test_a_bad_field_is_one_line_naming_it(
    field: str, value: Any, words: str, labels: dict[str, str] | None
) -> None:
    with pytest.raises(TargetError) as info:
        build_config(settings(**{field: value}), labels)
    message = str(info.value)
    assert "\n" not in message
    assert words in message
    # the target's own parser says "app id …" or "URL …": the value names it there
    named = str(value) if field == "target" else label_of(field, labels)
    assert named in message, (named, message)


def test_count_and_duration_together_name_both() -> None:
    with pytest.raises(TargetError, match="give --count or --duration, not both"):
        build_config(settings(count=5, duration_s=2.0), run_command.LABELS)


def test_defaults_by_transport_and_zero_never_means_default() -> None:
    assert build_config(settings()).count == DEFAULT_COUNT
    webrtc = build_config(settings(transport="webrtc", target="mock/yolo"))
    assert (webrtc.count, webrtc.duration_s) == (None, 10.0)
    assert build_config(settings(rate=None)).rate is None  # closed loop is "unset"
    assert build_config(settings(count=1)).count == 1


def test_payload_objects_only_where_the_transport_needs_one() -> None:
    assert build_config(settings(transport="ws", payload="[1, 2]")).payload == [1, 2]
    assert build_config(settings(transport="ws", payload_format="text", payload="hi")).payload == (
        "hi"
    )
    get = settings(transport="sse", target="mock/diffusion", sse_method="GET", payload="[1]")
    assert build_config(get).payload == [1]  # a GET stream sends no body at all
    with pytest.raises(TargetError, match="JSON object for sse"):
        build_config(replace(get, sse_method="POST"))
    assert build_config(settings(payload={"already": "parsed"})).payload == {"already": "parsed"}


def test_payload_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"from": "file"}')
    assert build_config(settings(payload_file=str(path))).payload == {"from": "file"}
    raw = settings(transport="ws", payload_format="bytes", payload_file=str(path))
    assert build_config(raw).payload == b'{"from": "file"}'
    with pytest.raises(TargetError, match="bytes payload must be raw bytes"):
        build_config(replace(raw, payload_file=None))
    with pytest.raises(TargetError, match="cannot read payload file"):
        build_config(settings(payload_file=str(tmp_path / "missing.json")))


def test_headers_as_items_or_one_line() -> None:
    items = build_config(settings(headers=("X-A: 1", "X-B: 2")))
    line = build_config(settings(headers="X-A: 1; X-B: 2"))
    assert dict(items.headers) == dict(line.headers) == {"X-A": "1", "X-B": "2"}


def test_payload_of_checks_as_the_build_does() -> None:
    assert payload_of(settings(payload='{"a": 1}')) == {"a": 1}
    with pytest.raises(TargetError, match="payload must be a JSON object"):
        payload_of(settings(payload="3"))


def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "k-123")
    assert key_from_env() == "k-123"
    monkeypatch.setenv("FAL_KEY", "")
    assert key_from_env() is None


def _cli(*argv: str, base: str | None = BASE) -> RunConfig:
    args = build_parser().parse_args(["run", *argv])
    return run_command.build_config(args, base)


def _gui(s: gui.ConnectionSettings, **kw: Any) -> RunConfig:
    """The form's run without what only the GUI wants (its message log and previews)."""
    cfg = gui.build_config(s, mock_base=BASE, key=None, record=False, **kw)
    return replace(cfg, webrtc=replace(cfg.webrtc, video_preview=False))


@pytest.mark.parametrize(
    ("argv", "form", "length"),
    [
        (
            ["realtime", "mock/echo", "--payload", '{"n": 1}', "--count", "7"],
            gui.ConnectionSettings(transport="realtime", target="mock/echo", payload='{"n": 1}'),
            {"count": 7, "duration_s": None},
        ),
        (
            [
                "ws",
                "mock/echo/ws",
                "--payload",
                "hello",
                "--format",
                "text",
                "--rate",
                "50",
                "--concurrency",
                "3",
                "--duration",
                "2",
                "--max-buffering",
                "4",
                "--header",
                "X-A: 1",
                "--header",
                "X-B: 2",
                "--timeout",
                "3",
                "--no-jwt",
            ],
            gui.ConnectionSettings(
                transport="ws",
                target="mock/echo/ws",
                payload="hello",
                payload_format="text",
                rate=50.0,
                concurrency=3,
                max_buffering=4,
                headers="X-A: 1; X-B: 2",
                timeout_s=3.0,
                use_jwt=False,
            ),
            {"count": None, "duration_s": 2.0},
        ),
        (
            ["sse", "mock/diffusion", "--payload", '{"steps": 2}', "--duration", "5"],
            gui.ConnectionSettings(
                transport="sse", target="mock/diffusion", payload='{"steps": 2}'
            ),
            {"count": None, "duration_s": 5.0},
        ),
        (
            [
                "webrtc",
                "mock/yolo",
                "--size",
                "320x240",
                "--fps",
                "15",
                "--data-channel",
                "--duration",
                "4",
            ],
            gui.ConnectionSettings(
                transport="webrtc",
                target="mock/yolo",
                payload="{}",
                video_size="320x240",
                video_fps=15.0,
                data_channel=True,
            ),
            {"count": None, "duration_s": 4.0},
        ),
    ],
    ids=["realtime", "ws", "sse", "webrtc"],
)
def test_cli_and_gui_build_equal_runs(
    argv: list[str],
    form: gui.ConnectionSettings,
    length: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    assert _cli(*argv) == _gui(form, **length)


def test_gui_zero_means_off_and_mock_ids_need_the_mock() -> None:
    form = gui.ConnectionSettings(rate=0.0, max_buffering=0)
    cfg = gui.build_config(form, mock_base=BASE, key="k", count=1, duration_s=None)
    assert cfg.rate is None and cfg.ws.max_buffering is None
    assert cfg.credentials.key == "k"
    assert cfg.record_messages and cfg.webrtc.video_preview
    assert cfg.target.url.startswith("ws://127.0.0.1:9/")
    with pytest.raises(TargetError, match="need the embedded mock server"):
        gui.build_config(form, mock_base=None, key=None, count=1, duration_s=None)
    url = replace(form, target="ws://127.0.0.1:9/x")
    assert gui.build_config(url, mock_base=None, key=None, count=1, duration_s=None)


def test_webrtc_params_are_built_once_with_every_field() -> None:
    cfg = build_config(
        settings(
            transport="webrtc",
            target="mock/world",
            video_source="camera:/dev/video0",
            video_size="1280x720",
            video_fps=60.0,
            video_mode="generated",
            signaling="msgpack",
            data_channel=True,
            actions_every_s=0.5,
            video_preview=True,
            jitter_release="next-frame",
        )
    )
    assert cfg.webrtc == WebRtcParams(
        source="camera:/dev/video0",
        width=1280,
        height=720,
        fps=60.0,
        mode="generated",
        signaling="msgpack",
        data_channel=True,
        action_every_s=0.5,
        video_preview=True,
        jitter_release="next-frame",
    )
