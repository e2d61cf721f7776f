"""Metrics with bounded memory: HDR histograms for percentiles, rings for timelines."""

from app.core.metrics.histogram import LatencyHistogram, LogBins, Percentiles
from app.core.metrics.ring import Ring

__all__ = ["LatencyHistogram", "LogBins", "Percentiles", "Ring"]
