"""Hostile spec text and API JSON: only ToxicError, always one line, never a traceback."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.core.network.spec import format_spec, parse_spec, toxic_from_json
from app.core.network.toxics import TOXIC_TYPES, ToxicError

_PIECES = st.sampled_from(
    [
        *TOXIC_TYPES,
        ":",
        ",",
        ";",
        "=",
        "stream",
        "toxicity",
        "name",
        "both",
        "-1",
        "1e9",
        "latency",
        "rate",
        "0",
        "1",
        "0.5",
        " ",
        "\n",
        "\x00",
        "é",
        "99999999999999999999",
    ]
)


@given(st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=30).map("".join)))
def test_any_text_parses_or_fails_with_one_line(text: str) -> None:
    try:
        toxics = parse_spec(text)
    except ToxicError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return
    assert parse_spec(format_spec(toxics)) == toxics


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.one_of(
        _JSON,
        st.fixed_dictionaries(
            {"type": st.sampled_from(list(TOXIC_TYPES))},
            optional={
                "stream": _JSON,
                "toxicity": _JSON,
                "name": _JSON,
                "attributes": st.dictionaries(
                    st.sampled_from(
                        [
                            "latency",
                            "jitter",
                            "rate",
                            "average_size",
                            "delay",
                            "bytes",
                            "timeout",
                            "x",
                        ]
                    ),
                    _JSON,
                ),
            },
        ),
    )
)
def test_any_json_makes_a_toxic_or_fails_with_one_line(body: object) -> None:
    try:
        toxic_from_json(body)
    except ToxicError as exc:
        assert "\n" not in str(exc)
