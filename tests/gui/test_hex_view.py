"""The Hex tab shows the frame as it went over the wire: a real realtime and raw
WebSocket run against the shared mock, text frames, the cap, and secrets withheld."""

from __future__ import annotations

import json
import re

import msgpack

from app.core.events import RAW_CAP, Message
from app.gui.hex_view import HexView
from app.gui.message_format import HEX_BYTES
from tests.support.panels import wait_finished

SECRET = "tok-very-secret-0123456789"
_LINE = re.compile(r"^[0-9a-f]{8}  (.{23})  (.{23})  \|")


def dump_bytes(text: str) -> bytes:
    """The bytes a hex dump shows, read back from its hex columns."""
    out = bytearray()
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            out += bytes.fromhex((m.group(1) + " " + m.group(2)).strip())
    return bytes(out)


def hex_of(inspector, message: Message) -> str:
    inspector.show_message(message)
    inspector.tabs.setCurrentIndex(inspector.HEX)
    return inspector.hex.toPlainText()


def test_realtime_frames_are_the_msgpack_bytes_sent_and_received(qtbot, window, mock_base) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    payload = json.loads(panel.payload.toPlainText())
    panel.start(count=3)
    wait_finished(qtbot, panel)
    inspector = panel.inspector
    rows = [inspector.model.message(r) for r in range(inspector.model.rowCount())]
    sent = [m for m in rows if m.direction == "out"]
    got = [m for m in rows if m.direction == "in" and m.kind == "output"]
    assert len(sent) == 3 and len(got) == 3
    for m in sent:
        text = hex_of(inspector, m)
        assert text.startswith(f"── msgpack frame: {m.size:,} bytes ──")
        wire = msgpack.packb({**payload, "rtprobe_seq": m.seq}, use_bin_type=True)
        assert dump_bytes(text) == wire and len(wire) == m.size
    for m in got:
        frame = dump_bytes(hex_of(inspector, m))
        assert len(frame) == m.size and msgpack.unpackb(frame) == m.data


def test_ws_text_frames_are_their_utf8(qtbot, window, mock_base) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    panel.start(count=2)
    wait_finished(qtbot, panel)
    inspector = panel.inspector
    for r in range(inspector.model.rowCount()):
        m = inspector.model.message(r)
        text = hex_of(inspector, m)
        assert text.startswith(f"── JSON text frame as UTF-8: {m.size:,} bytes ──")
        frame = dump_bytes(text)
        assert len(frame) == m.size and json.loads(frame.decode("utf-8")) is not None
        if m.direction == "in":
            assert json.loads(frame) == m.data


def test_text_frame_hex_and_the_cap(qtbot) -> None:
    view = HexView()
    qtbot.addWidget(view)
    view.show_message(Message(0, "in", 1, "text", 6, "héllo", raw="héllo"))
    text = view.toPlainText()
    assert text.splitlines()[0] == "── text frame as UTF-8: 6 bytes ──"
    assert dump_bytes(text) == "héllo".encode() and "|h..llo|" in text

    whole = RAW_CAP + 5_000
    kept = bytes(range(256)) * (RAW_CAP // 256)
    view.show_message(Message(0, "in", 1, "binary", whole, kept, raw=kept))
    text = view.toPlainText()
    assert dump_bytes(text) == kept[:HEX_BYTES]
    assert text.endswith(f"… showing the first {HEX_BYTES:,} of {whole:,} bytes")
    assert text.count("\n") <= HEX_BYTES // 16 + 2
    view.show_message(None)
    assert view.toPlainText() == ""


def test_a_secret_in_a_payload_and_its_echo_never_reaches_the_hex_view(
    qtbot, window, mock_base
) -> None:
    """The run's secret header value sits in the payload; the mock echoes it back. Both
    frames are withheld by the redactor and Hex shows the masked rebuild instead."""
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.headers.setText(f"X-Api-Token: {SECRET}")
    panel.payload.setPlainText(json.dumps({"prompt": f"say {SECRET}"}))
    panel.start(count=2)
    wait_finished(qtbot, panel)
    inspector = panel.inspector
    rows = [inspector.model.message(r) for r in range(inspector.model.rowCount())]
    assert {m.direction for m in rows} == {"in", "out"}
    for m in rows:
        assert m.raw is None and SECRET not in repr(m.data)
        text = hex_of(inspector, m)
        assert SECRET not in text and SECRET.encode() not in dump_bytes(text)
        assert dump_bytes(text)  # the masked frame is still shown, rebuilt
    assert any(b"***" in dump_bytes(hex_of(inspector, m)) for m in rows)


def _webrtc_messages(panel) -> list[Message]:
    inspector = panel.inspector
    return [inspector.model.message(r) for r in range(inspector.model.rowCount())]


def test_webrtc_signaling_and_data_channel_frames_in_hex(qtbot, window, mock_base) -> None:
    """A real WebRTC run against mock/yolo: every signaling message, both ways, and
    every data-channel message carries its frame, which Hex shows byte for byte; an
    action that holds the run's secret is masked and its frame withheld."""
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText("mock/yolo/webrtc")
    panel.video_size.setCurrentText("320x240")
    panel.data_channel.setChecked(True)
    panel.headers.setText(f"X-Api-Token: {SECRET}")
    assert panel.start(duration_s=3.0)
    qtbot.waitUntil(
        lambda: any(m.kind == "datachannel" for m in _webrtc_messages(panel)), timeout=20_000
    )
    assert panel.run_id is not None
    window.bridge.send_action(panel.run_id, f"w {SECRET}")
    wait_finished(qtbot, panel)
    panel._refresh_slow()  # the last messages into the inspector now
    rows = _webrtc_messages(panel)
    signaling = [m for m in rows if m.kind == "signaling"]
    channel = [m for m in rows if m.kind == "datachannel"]
    assert {m.direction for m in signaling} == {"in", "out"} and channel
    inspector = panel.inspector
    secret_action = [m for m in signaling if "action" in repr(m.data) and "***" in repr(m.data)]
    assert secret_action, "the action holding the secret was sent and shown masked"
    for m in signaling + channel:
        text = hex_of(inspector, m)
        assert SECRET not in text and SECRET.encode() not in dump_bytes(text)
        if m in secret_action:
            assert m.raw is None  # withheld, as every frame holding a secret
            continue
        assert m.raw is not None, m
        frame = m.raw.encode() if isinstance(m.raw, str) else m.raw
        assert len(frame) == m.size and dump_bytes(text) == frame[:HEX_BYTES]
        decoded = json.loads(frame) if isinstance(m.raw, str) else msgpack.unpackb(frame)
        assert decoded == m.data
