"""Raw WebSocket payloads: every format out, and what comes back."""

from __future__ import annotations

import json

import msgpack
import pytest

from app.core.codecs.ws import (
    PAYLOAD_FORMATS,
    PayloadError,
    decode_payload,
    encode_payload,
    frame_size,
)


def test_each_format() -> None:
    assert json.loads(encode_payload({"a": 1}, "json", 7, "seq")) == {"a": 1, "seq": 7}
    packed = encode_payload({"a": 1}, "msgpack", 7, "seq")
    assert isinstance(packed, bytes) and msgpack.unpackb(packed) == {"a": 1, "seq": 7}
    assert encode_payload({"a": 1}, "json", 7, None) == '{"a":1}'  # untagged
    assert encode_payload("hello", "text", 7, "seq") == "hello"  # text is never tagged
    assert encode_payload({"a": 1}, "text", 7, "seq") == '{"a": 1}'
    assert encode_payload(b"\x00\x01", "bytes", 7, "seq") == b"\x00\x01"
    assert encode_payload([1, 2], "json", 7, "seq") == "[1,2]"  # only maps carry seq
    assert set(PAYLOAD_FORMATS) == {"json", "msgpack", "text", "bytes"}


@pytest.mark.parametrize(
    ("payload", "fmt", "says"),
    [
        ({"v": object()}, "json", "cannot be encoded as json"),
        ({"v": 2**70}, "msgpack", "cannot be encoded as msgpack"),
        ({"v": {1, 2}}, "text", "cannot be encoded as text"),
        ("text", "bytes", "must be raw bytes"),
        ({}, "yaml", "unknown payload format 'yaml'"),
    ],
)
def test_unencodable_payloads(payload: object, fmt: str, says: str) -> None:
    with pytest.raises(PayloadError, match=says) as excinfo:
        encode_payload(payload, fmt, 0, "seq")  # type: ignore[arg-type]
    assert "\n" not in str(excinfo.value)


def test_decode_keeps_what_does_not_parse() -> None:
    assert decode_payload('{"a": 1}') == ("text", {"a": 1})
    assert decode_payload("not json") == ("text", "not json")
    assert decode_payload(msgpack.packb({"a": 1})) == ("binary", {"a": 1})
    assert decode_payload(b"\xc1\xc1") == ("binary", b"\xc1\xc1")
    assert decode_payload(b"") == ("binary", b"")
    assert frame_size("é") == 2 and frame_size(b"abc") == 3
