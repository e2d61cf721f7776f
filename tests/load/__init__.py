"""Tests of app/load/. Locust is never imported in the test process itself: importing it
monkey-patches the whole process with gevent (every later test would run patched), so
tests that need Locust run it in a child process, and skip when it is not installed."""

from __future__ import annotations

import importlib.util

import pytest


def needs_locust() -> None:
    """Skip the calling module when Locust is absent (without importing it)."""
    if importlib.util.find_spec("locust") is None:
        pytest.skip(
            "Locust is not installed (pip install 'rtprobe[load]')", allow_module_level=True
        )
