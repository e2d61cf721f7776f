"""The `1|2|max` speed flags (`rtprobe replay --speed`, `rtprobe mock --from-speed`): a
factor that divides recorded delays, or `max` for none. Imports nothing heavy, so the
CLI's parser can use it at start-up."""

from __future__ import annotations

import argparse


def speed_arg(text: str) -> float | None:
    """`1`, `2`, any factor > 0, or `max` (None: no waiting)."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a speed (1, 2, … or max)") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"speed {text!r} must be above 0 (or max)")
    return value
