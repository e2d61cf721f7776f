"""The HTML report's "Client health" section: rtprobe's own CPU, loop lag and GC, the
mock's when read, and the saturation line when one side was the bottleneck."""

from __future__ import annotations

from app.core.health.text import client_text, server_text
from app.core.report.model import Summary
from app.core.report.svg import esc


def health_section(s: Summary) -> str:
    if s.health is None and s.server_health is None:
        return ""
    parts = ["<h2>Client health</h2>"]
    for line in s.saturation_lines():
        parts.append(f'<p class="bad">{esc(line)}</p>')
    if s.health is not None:
        parts.append(f'<p class="note">{esc(client_text(s.health))}</p>')
    if s.server_health is not None:
        parts.append(f'<p class="note">{esc(server_text(s.server_health))}</p>')
    if not s.saturation_lines():
        parts.append('<p class="ok">neither the client nor the mock was saturated</p>')
    return "".join(parts)
