"""What the inspector shows of one message, as plain text: a one-line preview, the
tree of its fields, indented text, a hex dump of its bytes, and the first image in it.

No Qt here (a test imports this module without a display): the Qt model and the widget
only place these strings. Every function is bounded (tree nodes, characters, bytes), so
one 1 MB message or a dict of 10,000 keys costs no more than the part shown.

Hex shows what went over the wire. A `Message` of the realtime and WebSocket sessions
(and SSE events) carries its frame (`Message.raw`, the first `RAW_CAP` bytes): Hex shows
those bytes, a text frame as its UTF-8. Where there is no frame (other transports, or the
redactor withheld it because it held a secret), the frame is rebuilt from the decoded
message: as msgpack (packing the decoded map again gives the same bytes unless the
sender chose wider numbers than needed) or as JSON text, whichever has the frame's
recorded size. When neither has, it is shown re-encoded as msgpack, and the tab says so.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import reprlib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import msgpack

SUMMARY_CHARS = 160  # one-line preview in the table
STRING_PREVIEW = 48  # characters of a string inside a structure, in the preview
TREE_NODES = 2_000  # nodes in the Tree tab, in all
TREE_CHILDREN = 500  # children of one dict/list shown before "… more"
TREE_DEPTH = 32
TREE_VALUE_CHARS = 200
TEXT_CHARS = 256 * 1024  # characters in the Text tab
HEX_BYTES = 64 * 1024  # bytes in the Hex tab, over all binary fields
IMAGE_SCAN_DEPTH = 3  # root → "images" → [0] → "url" (the mock's diffusion app)
IMAGE_SCAN_NODES = 256
JSON_STYLES = (  # how servers write JSON text frames: compact, and Python's default
    ((",", ":"), False),
    ((", ", ": "), True),
    ((", ", ": "), False),
)


def is_error_kind(kind: str) -> bool:
    return "error" in kind


_BYTES = (bytes, bytearray, memoryview)
_PRINTABLE = bytes(b if 32 <= b < 127 else ord(".") for b in range(256))


def image_format(data: bytes | bytearray | memoryview) -> str | None:
    """ "PNG", "JPEG", "WebP" or "GIF" from the magic number, else None."""
    head = bytes(data[:12])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    if head.startswith(b"GIF8"):
        return "GIF"
    return None


def _is_data_image(value: str) -> bool:
    return value.startswith("data:image/") and ";base64," in value[:80]


def _children(value: Any) -> Iterator[tuple[str, Any]]:
    """(label, child) of a dict, list/tuple or dataclass instance; nothing otherwise."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k), v
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield f"[{i}]", v
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield f.name, getattr(value, f.name)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list | tuple) or (
        is_dataclass(value) and not isinstance(value, type)
    )


def _join(path: str, label: str) -> str:
    if not path:
        return label
    return path + label if label.startswith("[") else f"{path}.{label}"


def _bytes_label(value: bytes | bytearray | memoryview) -> str:
    fmt = image_format(value)
    return f"<{len(value):,} bytes{', ' + fmt if fmt else ''}>"


class _Full(Exception):
    pass


def summarize(data: Any, limit: int = SUMMARY_CHARS) -> str:
    """A one-line preview of at most `limit` characters; stops walking when full, so
    its cost does not grow with the message."""
    if data is None:
        return ""
    if isinstance(data, str):
        line = data[: limit + 1].replace("\r", " ").replace("\n", " ").replace("\t", " ")
        return line if len(line) <= limit else line[: limit - 1] + "…"
    parts: list[str] = []
    used = 0

    def put(text: str) -> None:
        nonlocal used
        parts.append(text)
        used += len(text)
        if used > limit:
            raise _Full

    def walk(value: Any, depth: int) -> None:
        if isinstance(value, str):
            cut = value[:STRING_PREVIEW]
            put(json.dumps(cut, ensure_ascii=False)[:-1] + ('…"' if len(value) > len(cut) else '"'))
        elif isinstance(value, _BYTES):
            put(_bytes_label(value))
        elif value is None or isinstance(value, bool | int | float):
            put(json.dumps(value))
        elif _is_container(value):
            dict_like = not isinstance(value, list | tuple)
            if is_dataclass(value):
                put(type(value).__name__)
            opening, closing = ("{", "}") if dict_like else ("[", "]")
            if depth >= 4:
                put(opening + "…" + closing)
                return
            put(opening)
            for i, (label, child) in enumerate(_children(value)):
                if i:
                    put(", ")
                if dict_like:
                    put(f"{label}: ")
                walk(child, depth + 1)
            put(closing)
        else:
            put(reprlib.repr(value))

    with contextlib.suppress(_Full):
        walk(data, 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def binary_fields(data: Any, depth: int = 2) -> list[tuple[str, bytes | bytearray | memoryview]]:
    """Raw bytes, or the bytes fields of the top `depth` levels, with their paths."""
    if isinstance(data, _BYTES):
        return [("", data)]
    found: list[tuple[str, bytes | bytearray | memoryview]] = []
    level = [("", data)]
    for _ in range(depth):
        nxt: list[tuple[str, Any]] = []
        for path, value in level:
            for i, (label, child) in enumerate(_children(value)):
                if i >= TREE_NODES:
                    break
                if isinstance(child, _BYTES):
                    found.append((_join(path, label), child))
                elif _is_container(child):
                    nxt.append((_join(path, label), child))
        level = nxt
    return found


def find_image(data: Any) -> tuple[str, bytes | bytearray | memoryview | str] | None:
    """The first image in the top levels of `data`: image bytes (by magic number) or a
    `data:image/…;base64,` URL string, with its path. Visits a bounded number of nodes."""
    queue: list[tuple[str, Any, int]] = [("", data, 0)]
    visited = 0
    while queue and visited < IMAGE_SCAN_NODES:
        path, value, depth = queue.pop(0)
        visited += 1
        if isinstance(value, _BYTES):
            if image_format(value):
                return path, value
        elif isinstance(value, str):
            if _is_data_image(value):
                return path, value
        elif depth < IMAGE_SCAN_DEPTH and _is_container(value):
            for i, (label, child) in enumerate(_children(value)):
                if i >= IMAGE_SCAN_NODES:
                    break
                queue.append((_join(path, label), child, depth + 1))
    return None


def decode_image(value: bytes | bytearray | memoryview | str) -> bytes | None:
    """The image bytes of a `find_image` result (decoding a data URL), or None."""
    if not isinstance(value, str):
        return bytes(value)
    try:
        return base64.b64decode(value.partition(";base64,")[2], validate=False)
    except (binascii.Error, ValueError):
        return None


def hex_dump(data: bytes | bytearray | memoryview, offset: int = 0) -> list[str]:
    """Classic 16-bytes-a-line dump: offset, hex, ASCII."""
    view = memoryview(data).cast("B")
    lines = []
    for start in range(0, len(view), 16):
        chunk = bytes(view[start : start + 16])
        hx = chunk.hex(" ")
        ascii_ = chunk.translate(_PRINTABLE).decode("ascii")
        lines.append(f"{offset + start:08x}  {hx[:23]:<23}  {hx[24:]:<23}  |{ascii_}|")
    return lines


def wire_bytes(data: Any, size: int | None = None) -> tuple[str, bytes, bool] | None:
    """The frame a structured message was decoded from, rebuilt: (what it is, its bytes,
    whether its length is the frame's recorded `size`). Tries msgpack first, then JSON
    text as servers write it; else the msgpack re-encoding, said so. None for text, raw
    bytes and what msgpack cannot encode."""
    if not isinstance(data, dict | list | tuple):
        return None
    packed: bytes | None = None
    with contextlib.suppress(TypeError, ValueError, OverflowError):
        packed = msgpack.packb(data, use_bin_type=True)
    if size is not None:
        if packed is not None and len(packed) == size:
            return "msgpack frame", packed, True
        for separators, ascii_only in JSON_STYLES:
            try:
                text = json.dumps(data, separators=separators, ensure_ascii=ascii_only)
            except (TypeError, ValueError, RecursionError):  # bytes in it: not a JSON frame
                break
            raw = text.encode("utf-8")
            if len(raw) == size:
                return "JSON text frame as UTF-8", raw, True
    if packed is None:
        return None
    was = f" (the frame was {size:,} bytes)" if size is not None else ""
    return f"re-encoded as msgpack{was}", packed, False


def frame_label(raw: bytes | str, data: Any) -> str:
    """What a kept frame is, for the Hex tab's heading."""
    if isinstance(raw, str):
        return "text frame as UTF-8" if isinstance(data, str) else "JSON text frame as UTF-8"
    if isinstance(data, dict | list | tuple) or (is_dataclass(data) and data is not None):
        return "msgpack frame"
    return "binary frame"


def raw_hex_text(
    raw: bytes | str, data: Any = None, limit: int = HEX_BYTES, *, size: int | None = None
) -> str:
    """The Hex tab of a message that kept its frame: the frame's bytes (a text frame's
    UTF-8), at most `limit` of them, saying how much of the `size`-byte frame is cut."""
    shown_bytes = raw[: limit + 1].encode("utf-8") if isinstance(raw, str) else raw
    shown = min(len(shown_bytes), limit)
    whole = max(size if size is not None else len(shown_bytes), shown)
    out = [f"── {frame_label(raw, data)}: {whole:,} bytes ──"]
    out.extend(hex_dump(memoryview(shown_bytes).cast("B")[:shown]))
    if shown < whole:
        out.append(f"… showing the first {shown:,} of {whole:,} bytes")
    return "\n".join(out)


def hex_text(
    data: Any,
    limit: int = HEX_BYTES,
    *,
    size: int | None = None,
    raw: bytes | str | None = None,
) -> str:
    """The Hex tab, at most `limit` bytes in all, saying what was left out: the frame
    itself when the message kept it (`raw`, see `raw_hex_text`); else raw bytes as they
    are, a structure's frame rebuilt (see `wire_bytes`; `size` is the frame's recorded
    size) followed by its binary fields, a text's UTF-8."""
    if raw is not None:
        return raw_hex_text(raw, data, limit, size=size)
    frame = wire_bytes(data, size)
    fields_ = binary_fields(data)
    parts: list[tuple[str, bytes | bytearray | memoryview]] = []
    if frame is not None and (frame[2] or not fields_):
        parts.append((frame[0], frame[1]))
    parts.extend(fields_)
    if not parts and isinstance(data, str):
        parts = [("text as UTF-8", data[: limit + 1].encode("utf-8"))]
    if not parts:
        return "(no binary data in this message)"
    out: list[str] = []
    budget = limit
    for n, (path, value) in enumerate(parts, 1):
        size_ = len(value)
        if path or len(parts) > 1:
            out.append(f"── {path or '(message)'}: {size_:,} bytes ──")
        shown = min(size_, budget)
        out.extend(hex_dump(memoryview(value).cast("B")[:shown]))
        budget -= shown
        if shown < size_:
            out.append(f"… showing the first {shown:,} of {size_:,} bytes")
        if budget <= 0:
            if n < len(parts):
                out.append(f"… {len(parts) - n} more binary field(s) not shown")
            break
    return "\n".join(out)


def _json_default(value: Any) -> Any:
    if isinstance(value, _BYTES):
        return _bytes_label(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, set | frozenset):
        return list(value)
    return reprlib.repr(value)


def pretty_text(data: Any, limit: int = TEXT_CHARS) -> str:
    """The Text tab: the text itself, or indented JSON (bytes as `<N bytes>`), stopping
    after `limit` characters; the encoder is consumed lazily, so a huge structure costs
    no more than the part shown."""
    if data is None:
        return ""
    if isinstance(data, str):
        text = data[: limit + 1]
    elif isinstance(data, _BYTES):
        return f"{_bytes_label(data)}: see the Hex tab"
    else:
        encoder = json.JSONEncoder(indent=2, ensure_ascii=False, default=_json_default)
        chunks: list[str] = []
        size = 0
        try:
            for chunk in encoder.iterencode(data):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
        except (TypeError, ValueError, RecursionError):  # bytes keys (msgpack), nesting
            chunks = [reprlib.repr(data)]
        text = "".join(chunks)
    if len(text) > limit:
        return text[:limit] + f"\n… (cut at {limit:,} characters)"
    return text


@dataclass(slots=True)
class TreeNode:
    """One row of the Tree tab: key, value preview, type, and its children."""

    label: str
    value: str = ""
    type: str = ""
    children: list[TreeNode] = field(default_factory=list)


def tree_nodes(data: Any, budget: int = TREE_NODES) -> tuple[list[TreeNode], int]:
    """The Tree tab's top rows and how many nodes they hold in all (at most `budget`;
    `TREE_CHILDREN` per container, `TREE_DEPTH` deep, a "… N more" row where cut)."""
    left = budget

    def fill(value: Any, depth: int) -> list[TreeNode]:
        nonlocal left
        size = _length(value)
        children: list[TreeNode] = []
        for i, (label, child) in enumerate(_children(value)):
            if left <= 0 or i >= TREE_CHILDREN or depth >= TREE_DEPTH:
                children.append(TreeNode(f"… {size - i:,} more"))
                break
            left -= 1
            node = TreeNode(label, _tree_value(child), _tree_type(child))
            children.append(node)
            if _is_container(child):
                node.children = fill(child, depth + 1)
        return children

    if _is_container(data):
        return fill(data, 0), budget - left
    return [TreeNode("(message)", _tree_value(data), _tree_type(data))], 1


def _length(value: Any) -> int:
    if isinstance(value, dict | list | tuple):
        return len(value)
    return len(fields(value)) if is_dataclass(value) else 0


def _tree_type(value: Any) -> str:
    if is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__
    names: dict[type, str] = {dict: "object", list: "array", tuple: "array", str: "string"}
    return names.get(type(value), type(value).__name__)


def _tree_value(value: Any) -> str:
    if isinstance(value, _BYTES):
        return _bytes_label(value)
    if isinstance(value, str):
        if len(value) > TREE_VALUE_CHARS:
            return f"{value[:TREE_VALUE_CHARS]}… ({len(value):,} characters)"
        return value
    if isinstance(value, dict):
        return f"{{{len(value):,} keys}}"
    if isinstance(value, list | tuple):
        return f"[{len(value):,} items]"
    if is_dataclass(value) and not isinstance(value, type):
        return ""
    return reprlib.repr(value) if not isinstance(value, bool | int | float) else json.dumps(value)
