"""What the inspector's tabs show, as plain text: no Qt, no widgets, no sockets."""

from __future__ import annotations

import json
import subprocess
import sys

import msgpack

from app.core.codecs.realtime import decode_frame, encode_input
from app.gui.message_format import (
    HEX_BYTES,
    TREE_CHILDREN,
    hex_dump,
    hex_text,
    tree_nodes,
    wire_bytes,
)


def test_module_loads_without_qt() -> None:
    code = "import app.gui.message_format, sys; assert 'PySide6' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_msgpack_frame_shows_its_own_bytes() -> None:
    payload = {"prompt": "a cat", "seed": 3, "strength": 0.5}
    frame = encode_input(payload)
    decoded = decode_frame(frame).data  # what the Message carries: the map, not the bytes
    text = hex_text(decoded, size=len(frame))
    assert f"── msgpack frame: {len(frame):,} bytes ──" in text
    assert "\n".join(hex_dump(frame)) in text
    assert wire_bytes(decoded, len(frame)) == ("msgpack frame", frame, True)


def test_msgpack_frame_comes_before_its_binary_fields() -> None:
    payload = {"latents": b"\x00\x01ABC" * 4, "step": 2}
    frame = msgpack.packb(payload, use_bin_type=True)
    text = hex_text(payload, size=len(frame))
    lines = text.splitlines()
    assert lines[0] == f"── msgpack frame: {len(frame):,} bytes ──"
    assert "── latents: 20 bytes ──" in lines


def test_json_text_frame_shows_as_utf8() -> None:
    for raw in ('{"type":"progress","step":1}', '{"type": "progress", "step": 1}'):
        text = hex_text(json.loads(raw), size=len(raw))
        assert f"JSON text frame as UTF-8: {len(raw)} bytes" in text
        assert raw.encode().hex(" ")[:23] in text


def test_unknown_encoding_is_re_encoded_and_said_so() -> None:
    text = hex_text({"a": 1}, size=999)
    assert "re-encoded as msgpack (the frame was 999 bytes)" in text
    assert "81 a1 61 01" in text  # {"a": 1} in msgpack
    assert wire_bytes({"a": 1}) == ("re-encoded as msgpack", b"\x81\xa1a\x01", False)
    assert wire_bytes({"a": {1, 2}}, 5) is None  # neither msgpack nor JSON: no frame


def test_hex_is_bounded_and_says_what_is_left_out() -> None:
    big = {"blob": b"\xff" * (HEX_BYTES * 2)}
    frame = msgpack.packb(big, use_bin_type=True)
    text = hex_text(big, size=len(frame))
    assert f"showing the first {HEX_BYTES:,} of {len(frame):,} bytes" in text
    assert "1 more binary field(s) not shown" in text
    assert text.count("\n") < HEX_BYTES // 16 + 10


def test_things_without_bytes_say_so() -> None:
    assert hex_text(None) == "(no binary data in this message)"
    assert hex_text(3.5) == "(no binary data in this message)"
    assert hex_text(b"AB") == hex_dump(b"AB")[0]


def test_tree_nodes_are_bounded_and_cut_where_full() -> None:
    tops, used = tree_nodes({"a": {"b": [1, 2]}, "c": "x"})
    assert [(n.label, n.value, n.type) for n in tops] == [
        ("a", "{1 keys}", "object"),
        ("c", "x", "string"),
    ]
    assert [n.label for n in tops[0].children[0].children] == ["[0]", "[1]"]
    assert used == 5
    tops, used = tree_nodes(list(range(TREE_CHILDREN + 10)))
    assert len(tops) == TREE_CHILDREN + 1 and tops[-1].label == "… 10 more"
    assert used == TREE_CHILDREN
    tops, used = tree_nodes(7)
    assert [(n.label, n.value, n.type) for n in tops] == [("(message)", "7", "int")]


def test_a_kept_frame_is_shown_as_it_went_whatever_the_decoded_data() -> None:
    """With the frame at hand nothing is rebuilt: wider numbers than needed (which a
    re-encoding would narrow) show as sent, and the heading names the frame."""
    frame = b"\x81\xa1a\xcd\x00\x01"  # {"a": 1} with 1 as a uint16
    text = hex_text({"a": 1}, size=len(frame), raw=frame)
    assert text == "── msgpack frame: 6 bytes ──\n" + "\n".join(hex_dump(frame))
    assert hex_text(None, size=3, raw=b"\x00\x01\x02").startswith("── binary frame: 3 bytes ──")
    assert hex_text({"a": 1}, size=8, raw='{"a": 1}').startswith("── JSON text frame as UTF-8")
    assert hex_text("hi", size=2, raw="hi").startswith("── text frame as UTF-8: 2 bytes ──")


def test_a_kept_frame_is_bounded_and_says_the_whole_size() -> None:
    text = hex_text("é" * 100, limit=64, size=200, raw="é" * 100)  # 2 bytes each
    lines = text.splitlines()
    assert lines[0] == "── text frame as UTF-8: 200 bytes ──"
    assert len(lines) == 1 + 64 // 16 + 1 and lines[-1] == "… showing the first 64 of 200 bytes"
    whole = hex_text(b"x" * 32, limit=64, size=32, raw=b"x" * 32)
    assert "showing" not in whole
