"""Where rtprobe's data files (`assets/`: icon, sample video) are, from source or frozen.

From a source checkout they are in `assets/` at the top of the repository; in a
PyInstaller bundle they are in `assets/` under `sys._MEIPASS` (the bundle's
`_internal/` folder), where `packaging/rtprobe.spec` puts them.
"""

from __future__ import annotations

import sys
from pathlib import Path


def assets_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "assets"
    return Path(__file__).resolve().parent.parent / "assets"


def asset_path(name: str) -> Path:
    """The path of asset `name` (e.g. "sample.mp4"); it may not exist (check it)."""
    return assets_dir() / name


__all__ = ["asset_path", "assets_dir"]
