"""The layout's promises, machine-checked: the engine and the mock never load Qt."""

from __future__ import annotations

import subprocess
import sys

import pytest


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
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "qt = ('PySide6', 'pyqtgraph', 'qasync', 'app.gui'); "
        "bad = sorted(m for m in sys.modules if m.startswith(qt)); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
