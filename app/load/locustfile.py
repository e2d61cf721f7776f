"""rtprobe's locustfile: `locust -f app/load/locustfile.py --transport ws --target URL`.

`rtprobe locust ...` runs Locust with this file. It holds one user class, whose
transport is `--transport`; importing the plugin registers rtprobe's flags and event
listeners (merged HDR reports, `--assert`).
"""

from __future__ import annotations

from app.load import plugin  # noqa: F401  (registers the listeners)
from app.load.users import TransportUser

__all__ = ["TransportUser"]
