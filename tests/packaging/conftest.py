"""Bundle tests build and run the PyInstaller bundle: slow, so only on request.

They run with `--bundle` (`pytest tests/packaging --bundle`: the option exists only
when this directory is on the command line) or with RTPROBE_BUNDLE_TESTS=1
(`make bundle-test` sets it). Otherwise every test marked `bundle` is skipped.
"""

from __future__ import annotations

import os

import pytest


def bundle_tests_enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("bundle", default=False)) or os.environ.get(
        "RTPROBE_BUNDLE_TESTS", ""
    ) not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if bundle_tests_enabled(config):
        return
    skip = pytest.mark.skip(reason="bundle test: pass --bundle or set RTPROBE_BUNDLE_TESTS=1")
    for item in items:
        if item.get_closest_marker("bundle") is not None:
            item.add_marker(skip)
