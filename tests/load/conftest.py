"""A mock server in its own process, shared by the Locust runs of this folder."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from server_mock.process import MockProcess

# without Locust (and so gevent) these modules cannot even be imported: skip them whole
collect_ignore = (
    []
    if importlib.util.find_spec("locust")
    else ["test_bridge.py", "test_buckets.py", "test_plugin.py", "test_worker.py"]
)


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with MockProcess() as base:
        yield base
