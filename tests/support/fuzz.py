"""One way to state a fuzz property, run briefly by pytest and at length by tools/fuzz.py.

A `Target` is a named strategy and a check: `check(value)` returns normally or raises
`AssertionError`. `refused(...)` states the usual property of a parser on arbitrary
input: it returns, or raises one of the documented exception types with a one-line,
non-empty message; any other exception escapes and fails the example. Every fuzz test
module lists its targets in `TARGETS` and turns each into a test with `as_test`, so
`make test` and `tools/fuzz.py --examples N` run the very same properties.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEST_EXAMPLES = 250  # per target in make test ("a few hundred", ~25 s CPU); tools/fuzz.py goes deep
EXAMPLE_LIMIT_S = 5.0  # one example slower than this is a hang (generous: the box is shared)


@dataclass(frozen=True)
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], None]
    examples: int = TEST_EXAMPLES  # inside `make test`


@contextmanager
def refused(*allowed: type[BaseException]) -> Iterator[None]:
    """The body returns, or raises one of `allowed` with a one-line message."""
    try:
        yield
    except allowed as exc:
        text = str(exc)
        assert text.strip(), f"{type(exc).__name__} with an empty message"
        assert "\n" not in text and "\r" not in text, f"{type(exc).__name__}: {text!r}"


def timed(check: Callable[[Any], None], limit_s: float = EXAMPLE_LIMIT_S) -> Callable[[Any], None]:
    """`check` that also fails an example taking longer than `limit_s`."""

    def run(value: Any) -> None:
        t0 = time.monotonic()
        check(value)
        took = time.monotonic() - t0
        assert took < limit_s, f"one example took {took:.2f} s (limit {limit_s} s)"

    return run


def as_test(target: Target) -> Callable[[], None]:
    """A pytest test running `target` for its `examples`, each bounded in time."""
    check = timed(target.check)

    @settings(
        max_examples=target.examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(target.strategy)
    def test(value: Any) -> None:
        check(value)

    test.__name__ = f"test_fuzz_{target.name.replace('.', '_').replace('-', '_')}"
    return test


def define_tests(targets: list[Target], namespace: dict[str, Any]) -> None:
    """Define one `test_fuzz_<name>` per target in a test module's `namespace`."""
    for target in targets:
        test = as_test(target)
        namespace[test.__name__] = test


# -- strategies shared by the codecs ---------------------------------------------------
def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value (no NaN: it is not JSON and never equals itself)."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
        max_leaves=max_leaves,
    )


def msgpack_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any value msgpack carries and gives back equal (str keys, 64-bit ints, bytes)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**64 - 1)
        | st.floats(allow_nan=False)
        | st.text()
        | st.binary()
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
        max_leaves=max_leaves,
    )


def deep_nesting() -> st.SearchStrategy[str]:
    """JSON arrays/objects nested up to 100,000 deep, closed or not: Python's json raises
    RecursionError (not ValueError) past the interpreter's recursion limit."""
    return st.builds(
        lambda n, opener, closed: opener * n + ("]" * n if closed and opener == "[" else ""),
        st.integers(min_value=1, max_value=100_000),
        st.sampled_from(["[", '{"a":']),
        st.booleans(),
    )


def deep_msgpack() -> st.SearchStrategy[bytes]:
    """msgpack arrays/maps nested up to 100,000 deep (msgpack's own stack limit applies)."""
    return st.builds(
        lambda n, head, leaf: head * n + leaf,
        st.integers(min_value=1, max_value=100_000),
        st.sampled_from([b"\x91", b"\x81\xa1a"]),
        st.sampled_from([b"\xc0", b"", b"\x01"]),
    )


def text_frames() -> st.SearchStrategy[str]:
    """Text a server may send: any text, JSON of any value, fal frames with odd fields,
    and deep nesting."""
    fal = st.fixed_dictionaries(
        {"type": st.sampled_from(["x-fal-error", "x-fal-message", "other"])},
        optional={"error": json_values(5), "reason": json_values(5), "action": json_values(5)},
    )
    return st.one_of(
        st.text(),
        json_values().map(json.dumps),
        fal.map(json.dumps),
        deep_nesting(),
    )


def binary_frames() -> st.SearchStrategy[bytes]:
    """Bytes a peer may send: any bytes, valid msgpack of any value, truncated msgpack,
    and deep nesting."""
    packed = msgpack_values().map(lambda v: msgpack.packb(v, use_bin_type=True))
    return st.one_of(
        st.binary(max_size=256),
        packed,
        st.builds(lambda b, cut: b[: max(0, len(b) - 1 - cut)], packed, st.integers(0, 8)),
        deep_msgpack(),
    )
