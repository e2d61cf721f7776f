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
