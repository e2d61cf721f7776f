"""benchmarks/client_path.py: both clients' rounds on the in-memory echo account for
every message, and a round that measured nothing fails the run with one line (figures
are printed by the benchmark, never asserted here)."""

from __future__ import annotations

import pytest

from benchmarks import client_path

pytestmark = pytest.mark.timeout(120)


def test_each_client_round_gets_every_message_back_and_reports_a_cost() -> None:
    for which in ("bare", "rtprobe"):
        assert client_path.measure(which, sessions=3, count=20) > 0


def test_a_round_that_lost_messages_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def nothing(sessions: int, count: int) -> int:
        return 0

    monkeypatch.setattr(client_path, "bare_round", nothing)
    monkeypatch.setattr("sys.argv", ["client_path", "--count", "5", "--rounds", "1"])
    assert client_path.main() == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bare: 0 of 250 messages came back") and "\n" not in err
