"""RTPROBE_STARTUP_REPORT's one line (app.startup): phases as shares, what came after
the paint as times since the process started, what never came as "not ready"."""

from __future__ import annotations

from app import startup


def test_the_line_gives_each_phase_its_share_and_later_steps_since_the_start() -> None:
    phases = [("cli", 10.05), ("imports", 10.55), ("window", 10.75), ("paint", 10.80)]
    after = {"engine ready": 11.40, "mock up": None}
    text = startup.line(phases, after, t0=10.0, age_at_t0=0.2)
    assert text == (
        "rtprobe start-up: python 0.20 s, cli 0.05 s, imports 0.50 s, window 0.20 s, "
        "paint 0.05 s = window painted at 1.00 s; engine ready at 1.60 s, mock up: not ready"
    )
    assert "\n" not in text


def test_without_the_process_age_times_count_from_rtprobes_import() -> None:
    text = startup.line([("paint", 1.5)], {}, t0=1.0, age_at_t0=None)
    assert text == (
        "rtprobe start-up: paint 0.50 s = window painted at 0.50 s (since rtprobe's import)"
    )


def test_off_unless_asked_for(monkeypatch, capsys) -> None:
    monkeypatch.setattr(startup, "ENABLED", False)
    monkeypatch.setattr(startup, "_phases", [])
    monkeypatch.setattr(startup, "_after", {})
    startup.mark("imports")
    startup.expect("engine ready")
    startup.done("engine ready")
    startup.report()
    assert startup._phases == []
    assert capsys.readouterr().err == ""


def test_printed_once_when_everything_awaited_came(monkeypatch, capsys) -> None:
    monkeypatch.setattr(startup, "ENABLED", True)
    monkeypatch.setattr(startup, "_printed", False)
    monkeypatch.setattr(startup, "_phases", [])
    monkeypatch.setattr(startup, "_after", {})
    startup.mark("paint")
    startup.expect("engine ready", "mock up")
    startup.done("engine ready")
    assert capsys.readouterr().err == ""
    startup.done("mock up")
    startup.report()  # at quit: already printed
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "engine ready at" in err and "mock up at" in err
