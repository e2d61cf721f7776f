"""The file dialog offers every format the history's export writes."""

from __future__ import annotations

import re

from app.core.history.export import FORMATS
from app.gui.history_runs import EXPORT_FILTER


def test_export_dialog_offers_every_format() -> None:
    offered = set(re.findall(r"\*(\.[a-z]+)", EXPORT_FILTER))
    assert offered == set(FORMATS)
