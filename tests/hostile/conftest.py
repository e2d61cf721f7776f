"""Fixtures for the hostile-server tests: tests/hostile/stream_servers.py, by the port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack

import pytest

from tests.hostile import stream_servers as servers


@pytest.fixture
def hostile() -> Iterator[Callable[..., int]]:
    """`port = hostile(servers.trickling_sse())`: served until the test ends."""
    with ExitStack() as stack:

        def start(handler: servers.Handler, **kw: object) -> int:
            cm: AbstractContextManager[int] = servers.serve(handler, **kw)  # type: ignore[arg-type]
            return stack.enter_context(cm)

        yield start
