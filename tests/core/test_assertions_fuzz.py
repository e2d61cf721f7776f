"""Fuzzing `--assert` expressions: any text parses or is one TargetError line; a
well-formed expression reads back as written."""

from __future__ import annotations

from hypothesis import strategies as st

from app.core import assertions
from app.core.errors import TargetError
from tests.support.fuzz import Target, define_tests, refused

NAMES = ["p50", "p99", "p999", "max", "mean", "server_p99", "ttfe_p50", "frame_max"]
COUNTERS = ["sent", "received", "errors", "timeouts", "rate", "fps_in", "events"]
OPS = ["<=", ">=", "==", "!=", "<", ">"]
PIECES = st.sampled_from([*NAMES, *COUNTERS, *OPS, "ms", "us", "s", ".", "5", " ", "\n", "x"])
TEXTS = st.one_of(
    st.text(max_size=40),
    st.lists(PIECES, max_size=8).map("".join),
    st.text(st.sampled_from("0123456789."), min_size=1, max_size=5000).map(lambda n: "p99<" + n),
)


def parses_or_refused(text: str) -> None:
    with refused(TargetError):
        t = assertions.parse(text)
        assert t.op in OPS and t.value >= 0


def round_trip(args: tuple[str, str, float, str]) -> None:
    name, op, number, unit = args
    if name in COUNTERS:
        unit = ""
    t = assertions.parse(f" {name} {op} {number!r}{unit} ")
    assert (t.name, t.op, t.value, t.unit or "") == (name, op, number, unit)


TARGETS = [
    Target("assertions.parse", TEXTS, parses_or_refused),
    Target(
        "assertions.round_trip",
        st.tuples(
            st.sampled_from(NAMES + COUNTERS),
            st.sampled_from(OPS),
            st.floats(min_value=0, max_value=1e6, allow_nan=False).filter(
                lambda x: "e" not in repr(x)
            ),
            st.sampled_from(["", "ms", "us", "s"]),
        ),
        round_trip,
    ),
]
define_tests(TARGETS, globals())
