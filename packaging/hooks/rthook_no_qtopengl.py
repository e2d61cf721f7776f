# PyInstaller runtime hook: PySide6.QtOpenGL (its binding is 9 MB) is left out of the
# bundle. pyqtgraph imports it at import time but only uses it when OpenGL plotting is
# switched on, which rtprobe never does; this placeholder makes that import succeed and
# any use of it fail with one clear line.
import sys
import types


def _missing(name: str) -> object:
    raise ImportError(
        f"PySide6.QtOpenGL.{name}: QtOpenGL is not in this bundle (OpenGL plotting is off)"
    )


_placeholder = types.ModuleType("PySide6.QtOpenGL")
_placeholder.__getattr__ = _missing  # type: ignore[attr-defined]
sys.modules.setdefault("PySide6.QtOpenGL", _placeholder)
