"""The layout's promises, machine-checked at run time (import-linter checks them
statically in `make check`): the engine and the mock never load Qt, and core's
WebRTC client loads no server."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded(module: str, prefixes: tuple[str, ...]) -> str:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"bad = sorted(m for m in sys.modules if m.startswith({prefixes!r})); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_core_webrtc_client_loads_no_mock_and_no_server() -> None:
    assert _loaded("app.core.transports.webrtc", ("uvicorn", "starlette", "server_mock")) == ""


@pytest.mark.parametrize(
    "module",
    [
        "app.core.codecs.realtime",
        "app.core.engine.run",
        "app.commands.run",
        "server_mock",
        "server_mock.webrtc",
        "app.cli",
        "app.demo",
    ],
)
def test_module_does_not_import_qt(module: str) -> None:
    assert _loaded(module, ("PySide6", "pyqtgraph", "qasync", "app.gui")) == ""
