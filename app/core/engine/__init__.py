"""The measurement engine: schedules traffic, matches replies, emits events."""
