"""Latency percentiles at microsecond resolution in constant memory (HdrHistogram)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from hdrh.histogram import HdrHistogram

MAX_TRACKABLE_US = 3_600_000_000  # one hour
SIGNIFICANT_DIGITS = 3  # 0.1 % value precision


@dataclass(frozen=True)
class Percentiles:
    """Milliseconds; all zero when there were no samples."""

    count: int
    p50: float
    p90: float
    p99: float
    p999: float
    max: float
    mean: float
    min: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class LatencyHistogram:
    """Record durations in nanoseconds; read percentiles in milliseconds."""

    def __init__(self) -> None:
        self._h = HdrHistogram(1, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS)
        self.clamped = 0  # samples over an hour, recorded as an hour

    def record_ns(self, ns: int) -> None:
        us = max(1, (ns + 500) // 1000)
        if us > MAX_TRACKABLE_US:
            us = MAX_TRACKABLE_US
            self.clamped += 1
        self._h.record_value(us)

    @property
    def count(self) -> int:
        return int(self._h.get_total_count())

    def merge(self, other: LatencyHistogram) -> None:
        self._h.add(other._h)
        self.clamped += other.clamped

    def reset(self) -> None:
        self._h.reset()
        self.clamped = 0

    def percentile_ms(self, p: float) -> float:
        return self._h.get_value_at_percentile(p) / 1000.0 if self.count else 0.0

    def summary(self) -> Percentiles:
        if not self.count:
            return Percentiles(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        pct = self.percentile_ms
        return Percentiles(
            count=self.count,
            p50=pct(50),
            p90=pct(90),
            p99=pct(99),
            p999=pct(99.9),
            max=self._h.get_max_value() / 1000.0,
            mean=self._h.get_mean_value() / 1000.0,
            min=self._h.get_min_value() / 1000.0,
        )

    def encode(self) -> str:
        """Compressed, base64: to save or merge histograms across processes."""
        data = self._h.encode()
        return data.decode() if isinstance(data, bytes) else str(data)
