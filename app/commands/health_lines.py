"""The health lines of `rtprobe run`'s summary: the saturation warning (when the client
or the mock was the bottleneck) first, then the figures it was decided on."""

from __future__ import annotations

from app.core.health.text import client_text, server_text
from app.core.report.model import Summary


def health_lines(s: Summary) -> list[str]:
    lines = [f"  {line}" for line in s.saturation_lines()]
    if s.health is not None:
        lines.append(f"  {client_text(s.health)}")
    if s.server_health is not None:
        lines.append(f"  {server_text(s.server_health)}")
    return lines
