"""Locust's response times at 3 significant figures instead of ~2, and printed so.

Locust keeps each request's time in a dict keyed by `locust.stats.bucket_response_time`,
which rounds to whole milliseconds under 100 ms: a 0.4 ms round trip becomes 0, and
Locust's percentiles could not agree with rtprobe's HDR figures (0.1 % precision).
The function is module-level so it can be replaced (Locust >= 2.43.4); `install` does,
and also replaces the few places that print those times as whole numbers (`%d`, `int`):
the console's request and percentile tables and the percentile columns of Locust's
CSV, so the table a user reads says 0.347, as rtprobe's report does. (Locust's web UI
gets the values as JSON numbers, untouched.)
"""

from __future__ import annotations

import math
from typing import Any


def three_significant(response_time: float) -> float:
    """0.3472 -> 0.347, 12.345 -> 12.3, 58760 -> 58800 (0.5 % worst-case error)."""
    if response_time <= 0 or not math.isfinite(response_time):
        return 0.0
    digits = 2 - math.floor(math.log10(response_time))
    return float(round(response_time, digits))


def fmt3(value: float | None) -> str:
    """A time for Locust's tables: three significant figures, whole from 1000 ms up."""
    if value is None or not math.isfinite(value) or value <= 0:
        return "0"
    if value >= 1000:
        return str(round(value))
    return f"{three_significant(value):g}"


def install() -> None:
    """Make Locust's statistics use `three_significant` (in this process and its forks),
    and its console tables and CSV print them so."""
    import locust.stats

    stats: Any = locust.stats  # typed as Locust's int-valued function; floats are fine
    stats.bucket_response_time = three_significant
    entry: Any = stats.StatsEntry
    entry.to_string = _to_string
    entry.percentile = _percentile
    writer: Any = stats.StatsCSV
    writer._percentile_fields = _percentile_fields


def _to_string(self: Any, current: bool = True) -> str:
    """`StatsEntry.to_string` with the times as `fmt3` (Locust prints `%7d`)."""
    import locust.stats as ls

    rps = self.current_rps if current else self.total_rps
    fail_per_sec = self.current_fail_per_sec if current else self.total_fail_per_sec
    name_width = (ls.STATS_NAME_WIDTH - ls.STATS_TYPE_WIDTH) + 4
    failures = f"{self.num_failures}({self.fail_ratio * 100:.2f}%)"
    return (f"%-{ls.STATS_TYPE_WIDTH}s %-{name_width}s %7d %12s |%7s %7s %7s%7s | %7.2f %11.2f") % (
        (self.method and self.method + " ") or "",
        self.name,
        self.num_requests,
        failures,
        fmt3(self.avg_response_time),
        fmt3(self.min_response_time or 0),
        fmt3(self.max_response_time),
        fmt3(self.median_response_time or 0),
        rps or 0,
        fail_per_sec or 0,
    )


def _percentile(self: Any) -> str:
    """`StatsEntry.percentile` (the console's percentile table) with `fmt3` times."""
    import locust.stats as ls

    if not self.num_requests:
        raise ValueError("Can't calculate percentile on url with no successful requests")
    cells = [fmt3(self.get_response_time_percentile(p)) for p in ls.PERCENTILES_TO_REPORT]
    # Locust's layout: the first percentile 8 wide, the others and "# reqs" (last) 6 wide
    tpl = f"%-{ls.STATS_TYPE_WIDTH}s %-{ls.STATS_NAME_WIDTH}s %8s {' '.join(['%6s'] * len(cells))}"
    return tpl % (self.method or "", self.name, *cells, self.num_requests)


def _percentile_fields(self: Any, stats_entry: Any, use_current: bool = False) -> list[Any]:
    """`StatsCSV._percentile_fields` keeping three significant figures (Locust: `int`)."""
    if not stats_entry.num_requests:
        return list(self.percentiles_na)
    if use_current and stats_entry.use_response_times_cache:
        values = [
            stats_entry.get_current_response_time_percentile(p) for p in self.percentiles_to_report
        ]
    else:
        values = [stats_entry.get_response_time_percentile(p) for p in self.percentiles_to_report]
    return [fmt3(v or 0) for v in values]
