"""fal realtime codec: the reasons of its decode errors are never empty."""

from __future__ import annotations

import pytest

from app.core.codecs.realtime import DecodeError, InputError, decode_frame, decode_input


@pytest.mark.parametrize("frame", [b"\xc1", b"\xc1\xc1\xc1", b"", b"\x01\x02", b"\x93\x01"])
def test_invalid_msgpack_always_says_why(frame: bytes) -> None:
    """msgpack's FormatError has no message: the reason must still say something."""
    with pytest.raises(InputError) as client_frame:
        decode_input(frame)
    with pytest.raises(DecodeError) as server_frame:
        decode_frame(frame)
    for error in (client_frame.value, server_frame.value):
        text = str(error)
        _, _, why = text.partition("msgpack: ")
        assert len(why.strip()) > 3 and "\n" not in text, text
