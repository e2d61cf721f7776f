"""What the session tests of every transport expect alike: they share one reconnect
policy (`app.core.sessions.base`), so they pass through the same states."""

from __future__ import annotations

from app.core.events import Event, StateChange

# a session that lost its connection once, got it back, and ended normally
RECONNECTED_ONCE = ["connecting", "connected", "reconnecting", "connecting", "connected", "closed"]


def states(events: list[Event]) -> list[str]:
    """The states the session went through, in order."""
    return [e.state for e in events if isinstance(e, StateChange)]
