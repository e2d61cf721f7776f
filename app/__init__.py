"""rtprobe: a tester and performance profiler for realtime AI endpoints."""

__version__ = "0.1.0"
