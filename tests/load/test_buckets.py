"""Locust's response-time buckets at 3 significant figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.load.buckets import three_significant
from tests.load import needs_locust

needs_locust()


@pytest.mark.parametrize(
    ("ms", "bucket"),
    [
        (0.34728, 0.347),
        (1.2345, 1.23),
        (12.345, 12.3),
        (147.0, 147.0),
        (58760.0, 58800.0),
        (0.0, 0.0),
        (-1.0, 0.0),
        (float("nan"), 0.0),
    ],
)
def test_a_response_time_keeps_three_significant_figures(ms: float, bucket: float) -> None:
    assert three_significant(ms) == pytest.approx(bucket)


INSTALLED = """
import locust.stats
from app.load import buckets
buckets.install()
entry = locust.stats.StatsEntry(locust.stats.RequestStats(), "n", "ws")
for ms in (0.412, 0.412, 0.587):
    entry.log(ms, 0)
print(sorted(entry.response_times.items()), entry.get_response_time_percentile(0.5))
print(entry.to_string(current=False))
print(entry.percentile())
w = locust.stats.StatsCSV.__new__(locust.stats.StatsCSV)
w.percentiles_to_report, w.percentiles_na = [0.5, 1.0], ["N/A", "N/A"]
print(w._percentile_fields(entry))
"""


def test_install_makes_locusts_statistics_keep_sub_millisecond_times() -> None:
    # in a child: importing Locust monkey-patches the whole process with gevent
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run(
        [sys.executable, "-c", INSTALLED], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr[-1000:]
    buckets, table, percentiles, csv_fields = done.stdout.splitlines()
    assert buckets.split() == ["[(0.412,", "2),", "(0.587,", "1)]", "0.412"]
    # the console tables and Locust's CSV print them so, not as whole milliseconds
    assert table.split()[:8] == ["ws", "n", "3", "0(0.00%)", "|", "0.47", "0.412", "0.587"]
    assert percentiles.split()[2:5] == ["0.412", "0.412", "0.587"]  # 50, 66, 75 %
    assert percentiles.split()[-2:] == ["0.587", "3"]  # 100 %, then the count
    assert csv_fields == "['0.412', '0.587']"
