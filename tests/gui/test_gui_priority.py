"""The GUI's main thread yields to the engine: nice +10 after start, configurable, never
an error. Each case runs in its own interpreter so pytest's own priority is untouched."""

from __future__ import annotations

import os
import subprocess
import sys

from app.gui.gui_priority import DEFAULT_NICE, wanted_nice

PROBE = (
    "import os, threading\n"
    "from app.gui.gui_priority import lower_gui_priority\n"
    "before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())\n"
    "after = lower_gui_priority()\n"
    "print(before, after)\n"
)


def nice_in_child(env_value: str | None) -> tuple[int, int]:
    env = dict(os.environ)
    env.pop("RTPROBE_GUI_NICE", None)
    if env_value is not None:
        env["RTPROBE_GUI_NICE"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and not out.stderr, out.stderr
    before, after = (int(x) for x in out.stdout.split())
    return before, after


def test_the_gui_thread_lowers_its_priority_by_ten() -> None:
    before, after = nice_in_child(None)
    assert after == min(before + DEFAULT_NICE, 19)


def test_zero_keeps_the_priority_and_garbage_is_the_default() -> None:
    before, after = nice_in_child("0")
    assert after == before
    assert wanted_nice({"RTPROBE_GUI_NICE": "lots"}) == DEFAULT_NICE
    assert wanted_nice({"RTPROBE_GUI_NICE": "99"}) == 19
    assert wanted_nice({"RTPROBE_GUI_NICE": "-5"}) == 0  # never raised above normal
    assert wanted_nice({}) == DEFAULT_NICE
