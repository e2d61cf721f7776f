"""The colours of run states and verdicts (Okabe–Ito, readable by colour-blind people),
shared by the state counter, the progress bar and the summary card."""

from __future__ import annotations

STATE_COLOURS = {
    "connecting": "#0072B2",
    "running": "#0072B2",
    "reconnecting": "#E69F00",
    "finished": "#009E73",
    "failed": "#D55E00",
    "stopped": "#E69F00",
}
PASS_COLOUR = "#009E73"
FAIL_COLOUR = "#D55E00"


def state_colour(state: str) -> str:
    """The colour of a state word ("failed (3 events lost)" reads as "failed")."""
    return STATE_COLOURS.get(state.split(" ", 1)[0].rstrip(":"), "#444444")
