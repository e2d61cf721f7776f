"""Latency percentiles at microsecond resolution in constant memory.

The HdrHistogram layout (log-linear buckets, 3 significant digits: 0.1 % precision,
values 1 µs .. 1 hour in ~23k counters), kept in a numpy array. The `hdrhistogram`
package has the same layout, but reading it is pure Python over every bucket:
measured here, one mean took 128 ms and one percentile 0.6 ms, far too slow for a GUI
that reads percentiles 30 times a second per connection. Here a record is a few
integer operations and a whole summary is one cumulative sum (~50 µs).
"""

from __future__ import annotations

import array
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

MAX_TRACKABLE_US = 3_600_000_000  # one hour
SUB_BUCKET_COUNT = 2048  # 2 x 10^3 rounded up to a power of two: 3 significant digits
SUB_BUCKET_HALF = SUB_BUCKET_COUNT // 2
SUB_BUCKET_HALF_MAGNITUDE = SUB_BUCKET_HALF.bit_length() - 1  # 10
SUB_BUCKET_MASK = SUB_BUCKET_COUNT - 1
BUCKET_COUNT = max(1, MAX_TRACKABLE_US.bit_length() - SUB_BUCKET_COUNT.bit_length() + 2)
COUNTS_LEN = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF
_SUB_BUCKET_BITS = SUB_BUCKET_COUNT.bit_length() - 1  # counts_index's "- bit_length() + 1"


def counts_index(value: int) -> int:
    bucket = max(0, value.bit_length() - SUB_BUCKET_COUNT.bit_length() + 1)
    sub = value >> bucket
    return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub - SUB_BUCKET_HALF


def _index_values() -> tuple[np.ndarray, np.ndarray]:
    """For each counter: the lowest value it holds and the highest equivalent value."""
    idx = np.arange(COUNTS_LEN, dtype=np.int64)
    bucket = (idx >> SUB_BUCKET_HALF_MAGNITUDE) - 1
    sub = (idx & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF
    low_bucket = bucket < 0
    sub = np.where(low_bucket, sub - SUB_BUCKET_HALF, sub)
    bucket = np.where(low_bucket, 0, bucket)
    lowest = sub << bucket
    size = np.int64(1) << bucket
    return lowest, lowest + size - 1


_LOWEST, _HIGHEST = _index_values()


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

    def rounded(self, digits: int = 4) -> Percentiles:
        """The same figures rounded, as a summary file shows them."""
        return Percentiles(
            self.count,
            *(round(float(getattr(self, name)), digits) for name in _FIGURES),
        )


_FIGURES = ("p50", "p90", "p99", "p999", "max", "mean", "min")


@dataclass(frozen=True)
class LogBins:
    """A histogram's own counters regrouped on log-spaced bins, for drawing.

    `edges_ms` has one entry more than `counts`, and the counts add up to the samples
    recorded: a plot drawn from these bars agrees with the percentiles read from the same
    histogram. Each HDR counter is at most 0.1 % wide, so placing it by its lowest value
    moves a sample across a bin edge by no more than that.
    """

    edges_ms: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.counts)


class LatencyHistogram:
    """Record durations in nanoseconds; read percentiles in milliseconds."""

    __slots__ = ("_cells", "_counts", "_max", "_min", "_n", "_sum", "clamped")

    def __init__(self) -> None:
        # one buffer, two views: `_cells` for `record_ns` (an array.array item increment
        # costs ~55 ns, a numpy scalar one ~140 ns, four times per message), `_counts`
        # for everything vectorised; only ever changed in place, so they stay one
        self._cells = array.array("q", bytes(8 * COUNTS_LEN))
        self._counts = np.frombuffer(self._cells, dtype=np.int64)
        self._n = 0
        self._sum = 0  # exact, in µs, for the mean
        self._min = 0
        self._max = 0
        self.clamped = 0  # samples over an hour, recorded as an hour

    def record_ns(self, ns: int) -> None:
        us = (ns + 500) // 1000
        if us < 1:
            us = 1
        elif us > MAX_TRACKABLE_US:
            us = MAX_TRACKABLE_US
            self.clamped += 1
        # counts_index(us), inlined: this runs four times per message
        bucket = us.bit_length() - _SUB_BUCKET_BITS
        if bucket < 0:
            bucket = 0
        index = ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (us >> bucket) - SUB_BUCKET_HALF
        self._cells[index] += 1
        if self._n == 0 or us < self._min:
            self._min = us
        if us > self._max:
            self._max = us
        self._n += 1
        self._sum += us

    def __getstate__(self) -> tuple[bytes, int, int, int, int, int]:
        return (self._cells.tobytes(), self._max, self._min, self._n, self._sum, self.clamped)

    def __setstate__(self, state: tuple[bytes, int, int, int, int, int]) -> None:
        cells, self._max, self._min, self._n, self._sum, self.clamped = state
        self._cells = array.array("q")
        self._cells.frombytes(cells)
        self._counts = np.frombuffer(self._cells, dtype=np.int64)

    @property
    def count(self) -> int:
        return self._n

    def merge(self, other: LatencyHistogram) -> None:
        if not other._n:
            return
        self._counts += other._counts
        self._min = other._min if not self._n else min(self._min, other._min)
        self._max = max(self._max, other._max)
        self._n += other._n
        self._sum += other._sum
        self.clamped += other.clamped

    def to_wire(self) -> dict[str, int | bytes]:
        """The histogram as plain values another process can `add_wire` exactly: the
        non-empty counters (little-endian uint32 indices, int64 counts) and the exact
        count, sum, min, max (µs) and clamped count. Any msgpack or pickle can carry it;
        a few hundred bytes for a typical run, at most ~280 KB."""
        nz = np.nonzero(self._counts)[0]
        return {
            "index": nz.astype("<u4").tobytes(),
            "counts": self._counts[nz].astype("<i8").tobytes(),
            "n": self._n,
            "sum": self._sum,
            "min": self._min,
            "max": self._max,
            "clamped": self.clamped,
        }

    def add_wire(self, wire: Mapping[str, int | bytes]) -> None:
        """Merge what `to_wire` gave (of this process or another) into this histogram;
        ValueError for data that is not such a histogram (it leaves this one unchanged)."""
        try:
            index = np.frombuffer(bytes(wire["index"]), dtype="<u4").astype(np.int64)
            counts = np.frombuffer(bytes(wire["counts"]), dtype="<i8").astype(np.int64)
            n, total, low, high, clamped = (
                int(wire[k]) for k in ("n", "sum", "min", "max", "clamped")
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a histogram: {exc}") from None
        if len(index) != len(counts) or (len(index) and int(index.max()) >= COUNTS_LEN):
            raise ValueError("not a histogram: counters out of range")
        if int(counts.sum()) != n or (counts < 0).any():
            raise ValueError("not a histogram: the counters do not add up to its count")
        if not n:
            return
        other = LatencyHistogram()
        np.add.at(other._counts, index, counts)
        other._n, other._sum, other._min, other._max = n, total, low, high
        other.clamped = clamped
        self.merge(other)

    def reset(self) -> None:
        self._counts[:] = 0
        self._n = self._sum = self._min = self._max = 0
        self.clamped = 0

    def _at(self, cumulative: np.ndarray, percentiles: list[float]) -> list[float]:
        """HdrHistogram's rule: the highest equivalent value of the first counter whose
        cumulative count reaches p% of the count (rounded), capped at the true maximum."""
        out = []
        for p in percentiles:
            target = max(1, int(min(p, 100.0) * self._n / 100 + 0.5))
            i = int(np.searchsorted(cumulative, target))
            out.append(min(int(_HIGHEST[i]), self._max) / 1000.0)
        return out

    def percentile_ms(self, p: float) -> float:
        if not self._n:
            return 0.0
        return self._at(np.cumsum(self._counts), [p])[0]

    def summary(self) -> Percentiles:
        if not self._n:
            return Percentiles(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        p50, p90, p99, p999 = self._at(np.cumsum(self._counts), [50, 90, 99, 99.9])
        return Percentiles(
            count=self._n,
            p50=p50,
            p90=p90,
            p99=p99,
            p999=p999,
            max=self._max / 1000.0,
            mean=self._sum / self._n / 1000.0,
            min=self._min / 1000.0,
        )

    def buckets(self) -> tuple[np.ndarray, np.ndarray]:
        """(lowest value in µs, count) of every non-empty counter, for plots and export."""
        nz = np.nonzero(self._counts)[0]
        return _LOWEST[nz], self._counts[nz]

    def log_bins(self, per_decade: int = 20) -> LogBins:
        """The counters summed into `per_decade` log-spaced bins per decade of milliseconds,
        from the decade below the minimum to the decade above the maximum."""
        values_us, counts = self.buckets()
        if not len(values_us):
            return LogBins()
        # +1e-9: a value on an edge (1 ms, 10 ms) belongs to the bin that starts there
        index = np.floor(np.log10(values_us / 1000.0) * per_decade + 1e-9).astype(np.int64)
        first = int(np.floor(index[0] / per_decade)) * per_decade
        last = int(np.floor(index[-1] / per_decade) + 1) * per_decade
        binned = np.zeros(last - first, dtype=np.int64)
        np.add.at(binned, index - first, counts)
        edges = 10.0 ** (np.arange(first, last + 1) / per_decade)
        return LogBins(tuple(edges.tolist()), tuple(binned.tolist()))
