"""Shared fixtures: a real mock server on 127.0.0.1, started with uvicorn."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from server_mock import FaultConfig, MockConfig, MockServer

# the run history (app/core/history) of every test and every rtprobe it starts goes to a
# file of this test session's own, never the user's data directory; removed at exit
_HISTORY_DIR = tempfile.mkdtemp(prefix="rtprobe-test-history-")
atexit.register(shutil.rmtree, _HISTORY_DIR, ignore_errors=True)
os.environ["RTPROBE_HISTORY"] = os.path.join(_HISTORY_DIR, "history.sqlite3")

# Hypothesis' per-example deadline is a wall-clock limit that fails correct tests on a
# loaded machine; none applies here (pytest-timeout still bounds every test).
settings.register_profile("rtprobe", deadline=None)
settings.load_profile("rtprobe")


def pytest_addoption(parser: pytest.Parser) -> None:
    # here, not in tests/packaging/: an option must be known wherever pytest starts
    parser.addoption(
        "--bundle",
        action="store_true",
        default=False,
        help="build (or reuse a fresh) PyInstaller bundle and run the bundle tests",
    )


@pytest.fixture(scope="session")
def mock_base() -> Iterator[str]:
    """http://127.0.0.1:PORT of a default mock server shared by the whole run."""
    with MockServer.in_thread() as base:
        yield base


@pytest.fixture(scope="session")
def ws_base(mock_base: str) -> str:
    return mock_base.replace("http://", "ws://")


@pytest.fixture
def start_mock() -> Callable[..., AbstractContextManager[str]]:
    """Start a mock with its own settings: `with start_mock(key="k", latency_ms=5) as base:`."""

    def start(
        *, faults: FaultConfig | None = None, **settings: object
    ) -> AbstractContextManager[str]:
        config = MockConfig(**settings)  # type: ignore[arg-type]
        if faults is not None:
            config.faults = faults
        return MockServer.in_thread(config)

    return start
