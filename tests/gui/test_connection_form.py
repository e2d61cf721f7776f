"""The connection form checks what it holds as a run would (the builder's own check)
and the panel composes it: settings round-trip through both, bad payloads block Start."""

from __future__ import annotations

from app.gui.connection_form import ConnectionForm
from app.gui.connection_panel import ConnectionSettings


def test_form_refuses_what_the_run_would_refuse(qtbot) -> None:
    form = ConnectionForm()
    qtbot.addWidget(form)
    seen: list[bool] = []
    form.sigValid.connect(seen.append)
    form.set_settings(ConnectionSettings(transport="realtime", payload="[1, 2]"))
    assert not form.valid and seen[-1] is False
    assert "must be a JSON object for realtime" in form.payload_error.text()
    form.transport.setCurrentText("ws")  # raw WebSocket sends any JSON: now fine
    assert form.valid and seen[-1] is True and form.payload_error.text() == ""


def test_panel_settings_round_trip_and_keep_what_no_widget_shows(window) -> None:
    s = ConnectionSettings(
        transport="ws",
        target="mock/echo/ws",
        payload='{"a": 1}',
        payload_format="msgpack",
        max_buffering=5,
        headers="X-A: 1",
        rate=12.5,
        concurrency=3,
        duration_s=4.0,
        timeout_s=2.0,  # no widget for these two: kept from the session file
        use_jwt=False,
    )
    panel = window.add_connection(s)
    assert panel.settings() == s
    panel.target.setText("ws://127.0.0.1:9/own")  # not a mock/ example: kept on a switch
    panel.payload.setPlainText('"just a string"')
    assert panel.start_button.isEnabled()  # raw ws sends a JSON string as it is
    panel.transport.setCurrentText("realtime")
    assert not panel.start_button.isEnabled() and not panel.send_once.isEnabled()
    assert not panel.start()  # refused with the line under the payload


def test_the_bundled_sample_video_is_a_named_source(qtbot) -> None:
    from pathlib import Path

    from app.assets import asset_path
    from app.gui.connection_form import SAMPLE_LABEL

    form = ConnectionForm()
    qtbot.addWidget(form)
    form.set_settings(ConnectionSettings(transport="webrtc", target="mock/yolo"))
    picker = form.video_source
    index = picker.findText(SAMPLE_LABEL)
    assert index >= 0 and picker.model().item(index).isEnabled()
    picker.setCurrentIndex(index)
    picker.activated.emit(index)  # as a click on the entry does
    spec = form.settings().video_source
    sample = asset_path("sample.mp4")
    assert spec == f"file:{sample}" and Path(spec.removeprefix("file:")).is_file()
    from app.gui.connection_settings import build_config

    config = build_config(
        form.settings(), mock_base="http://127.0.0.1:9", key=None, count=None, duration_s=1.0
    )
    assert config.webrtc.source == f"file:{sample}"  # the run sends that file
    # a session file naming the sample selects the named entry, not a new file entry
    count = picker.count()
    form.set_settings(ConnectionSettings(transport="webrtc", video_source="synthetic"))
    form.set_settings(ConnectionSettings(transport="webrtc", video_source=spec))
    assert picker.currentText() == SAMPLE_LABEL and picker.count() == count


def test_a_missing_sample_is_greyed_out_not_offered(qtbot, monkeypatch, tmp_path) -> None:
    from app.gui import connection_form

    monkeypatch.setattr(connection_form, "sample_video", lambda: tmp_path / "none.mp4")
    form = ConnectionForm()
    qtbot.addWidget(form)
    index = form.video_source.findText(f"{connection_form.SAMPLE_LABEL}: not found")
    assert index >= 0 and not form.video_source.model().item(index).isEnabled()


def test_in_a_bundle_the_sample_comes_from_the_bundle(qtbot, monkeypatch, tmp_path) -> None:
    """PyInstaller puts assets/ under sys._MEIPASS (packaging/rtprobe.spec)."""
    import sys

    from app.gui.connection_form import SAMPLE_LABEL

    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "sample.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    form = ConnectionForm()
    qtbot.addWidget(form)
    index = form.video_source.findText(SAMPLE_LABEL)
    assert form.video_source.itemData(index) == f"file:{tmp_path / 'assets' / 'sample.mp4'}"


def test_frame_release_row_round_trips_and_shows_for_webrtc_only(qtbot) -> None:
    form = ConnectionForm()
    qtbot.addWidget(form)
    form.set_settings(
        ConnectionSettings(transport="webrtc", target="mock/yolo", jitter_release="next-frame")
    )
    assert form.settings().jitter_release == "next-frame"
    assert form.form.isRowVisible(form.jitter_release)
    form.jitter_release.setCurrentIndex(form.jitter_release.findData("marker"))
    assert form.settings().jitter_release == "marker"
    form.transport.setCurrentText("realtime")
    assert not form.form.isRowVisible(form.jitter_release)


def test_network_row_round_trips_and_its_schedule_shows_for_webrtc_only(qtbot) -> None:
    form = ConnectionForm()
    qtbot.addWidget(form)
    form.set_settings(
        ConnectionSettings(
            transport="webrtc",
            target="mock/yolo",
            network="4g,loss=2%",
            network_at=("5s:3g", "12s:mock:delay=100,jitter=20"),
        )
    )
    got = form.settings()
    assert got.network == "4g,loss=2%"
    assert got.network_at == ("5s:3g", "12s:mock:delay=100,jitter=20")
    assert form.network_at.text() == "5s:3g; 12s:mock:delay=100,jitter=20"
    assert form.network_at.isVisibleTo(form)
    form.network.setCurrentText("none")  # the clean preset is saved as no network
    form.network_at.setText(" 2s:edge ;; ")
    assert (form.settings().network, form.settings().network_at) == ("", ("2s:edge",))
    form.transport.setCurrentText("realtime")
    assert not form.network_at.isVisibleTo(form)  # toxics: no scheduled changes
    assert form.form.isRowVisible(form.network_row)
