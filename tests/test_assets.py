"""app.assets finds assets/ from a source checkout and inside a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.assets import asset_path, assets_dir

ROOT = Path(__file__).resolve().parents[1]


def test_from_source() -> None:
    assert assets_dir() == ROOT / "assets"
    for name in ("rtprobe.png", "rtprobe.svg", "sample.mp4"):
        assert asset_path(name).is_file(), name


def test_frozen_uses_meipass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert asset_path("sample.mp4") == tmp_path / "assets" / "sample.mp4"


def test_sample_video_is_small_and_playable() -> None:
    import av

    path = asset_path("sample.mp4")
    assert path.stat().st_size < 300 * 1024
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
        frames = sum(1 for _ in container.decode(stream))
    assert frames == 90  # 3 s at 30 fps
