"""The compact toxic syntax shared by `rtprobe proxy --toxic`, `rtprobe mock --toxic` and
the mock's `?toxic=` query parameter, and the JSON form of the HTTP API.

    SPEC   := TOXIC (";" TOXIC)*
    TOXIC  := TYPE [":" KEY "=" VALUE ("," KEY "=" VALUE)*]

KEY is one of the type's attributes (Toxiproxy's names and units: `latency:latency=50,
jitter=10`) or `stream` (upstream, downstream or both; default downstream), `toxicity`
(0..1, default 1) or `name` (default `<type>_<stream>`). `stream=both` stands for two
toxics, one per direction. Every error is one line naming the toxic and the field.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.network.toxics import (
    DEFAULT_STREAM,
    STREAMS,
    TOXIC_TYPES,
    Toxic,
    ToxicError,
    make_attributes,
    probability,
    stream_name,
    toxic_name,
)

_SPEC_MAX = 4096  # characters: a query or flag longer than this is not a toxic list
_TOXICS_MAX = 32


def parse_spec(text: str) -> list[Toxic]:
    """All toxics of `text` (empty text: none); raises ToxicError (one line)."""
    if len(text) > _SPEC_MAX:
        raise ToxicError(f"toxic spec is longer than {_SPEC_MAX} characters")
    out: list[Toxic] = []
    for part in text.split(";"):
        if part.strip():
            out.extend(_parse_one(part.strip()))
    if len(out) > _TOXICS_MAX:
        raise ToxicError(f"toxic spec has {len(out)} toxics, at most {_TOXICS_MAX}")
    _check_unique(out)
    return out


def _parse_one(part: str) -> list[Toxic]:
    kind, _, rest = part.partition(":")
    kind = kind.strip()
    where = f"toxic {part[:60]!r}"
    if kind not in TOXIC_TYPES:
        known = ", ".join(TOXIC_TYPES)
        raise ToxicError(f"{where}: unknown toxic type {kind[:40]!r} (known: {known})")
    values: dict[str, object] = {}
    for item in rest.split(",") if rest.strip() else []:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ToxicError(f"{where}: {item.strip()[:40]!r} is not KEY=VALUE")
        if key in values:
            raise ToxicError(f"{where}: {key} is given twice")
        values[key] = value.strip()
    stream = str(values.pop("stream", DEFAULT_STREAM))
    toxicity = probability(values.pop("toxicity", 1.0), f"{where}: toxicity")
    name = values.pop("name", None)
    attributes = make_attributes(kind, values, where)
    streams = STREAMS if stream == "both" else (stream_name(stream, f"{where}: stream"),)
    named = toxic_name(name, f"{where}: name") if name is not None else ""
    return [
        Toxic(
            type=kind,
            attributes=attributes,
            stream=s,
            toxicity=toxicity,
            name=f"{named}_{s}" if named and len(streams) > 1 else named,
        )
        for s in streams
    ]


def _check_unique(toxics: list[Toxic]) -> None:
    seen: set[str] = set()
    for t in toxics:
        if t.name in seen:
            raise ToxicError(f"toxic name {t.name!r} is used twice (give one a name=…)")
        seen.add(t.name)


def format_spec(toxics: list[Toxic]) -> str:
    """The compact text of `toxics` (parse_spec reads it back to the same toxics)."""
    parts = []
    for t in toxics:
        items = [f"{k}={v}" for k, v in t.to_json()["attributes"].items()]
        items.append(f"stream={t.stream}")
        if t.toxicity != 1.0:
            items.append(f"toxicity={t.toxicity:g}")
        if t.name != f"{t.type}_{t.stream}":
            items.append(f"name={t.name}")
        parts.append(f"{t.type}:{','.join(items)}")
    return ";".join(parts)


def toxic_from_json(body: object, *, base: Toxic | None = None) -> Toxic:
    """A toxic from the API's JSON (`{"type", "stream", "toxicity", "name", "attributes"}`).
    With `base` (an update), absent fields keep base's values and attributes merge."""
    if not isinstance(body, Mapping):
        raise ToxicError("toxic must be a JSON object")
    unknown = sorted(set(body) - {"type", "stream", "toxicity", "name", "attributes"})
    if unknown:
        raise ToxicError(f"toxic field {unknown[0][:40]!r} is unknown")
    kind = body.get("type", base.type if base else None)
    if base is not None and kind != base.type:
        raise ToxicError("toxic type cannot change (delete the toxic and create another)")
    if not isinstance(kind, str):
        raise ToxicError("toxic needs a type (one of: " + ", ".join(TOXIC_TYPES) + ")")
    where = f"toxic {kind[:40]!r}"
    attrs = body.get("attributes", {})
    if not isinstance(attrs, Mapping):
        raise ToxicError(f"{where}: attributes must be a JSON object")
    merged = {**(base.to_json()["attributes"] if base else {}), **attrs}
    attributes = make_attributes(kind, dict(merged), where)
    stream = stream_name(body.get("stream", base.stream if base else DEFAULT_STREAM), where)
    toxicity = probability(body.get("toxicity", base.toxicity if base else 1.0), where)
    name = body.get("name", base.name if base else None)
    named = toxic_name(name, f"{where}: name") if name is not None else ""
    return Toxic(type=kind, attributes=attributes, stream=stream, toxicity=toxicity, name=named)
