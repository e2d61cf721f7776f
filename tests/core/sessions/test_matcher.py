"""Matcher: which request a reply answers, and what a reply proves about the others."""

from __future__ import annotations

from app.core.sessions.matcher import Matcher, Pending


def pending(seq: int, sent_ns: int = 0) -> Pending:
    return Pending(seq, sent_ns, sent_ns, 10)


def fates(resolved: list) -> list[tuple[int, str]]:
    return [(r.pending.seq, r.outcome) for r in resolved]


def test_reply_by_id_resolves_exactly_that_request() -> None:
    m = Matcher(ordered=False)
    for seq in range(3):
        m.sent(pending(seq))
    assert fates(m.reply(1, 5)) == [(1, "received")]
    assert m.in_flight == 2 and m.oldest() == pending(0)


def test_in_order_app_a_later_reply_drops_the_earlier_ones() -> None:
    m = Matcher(ordered=True)
    for seq in range(4):
        m.sent(pending(seq))
    out = m.reply(2, 7)
    assert fates(out) == [(0, "dropped"), (1, "dropped"), (2, "received")]
    assert all(r.done_ns == 7 for r in out)
    assert out[0].error == "no reply: a later input was answered"
    assert m.in_flight == 1


def test_late_duplicate_and_unknown_replies_are_counted_unmatched() -> None:
    m = Matcher()
    m.sent(pending(0))
    assert fates(m.reply(0, 1)) == [(0, "received")]
    assert m.reply(0, 2) == [] and m.reply(99, 3) == [] and m.reply(None, 4) == []
    assert m.unmatched == 3


def test_replies_without_id_are_first_in_first_out() -> None:
    m = Matcher()
    m.sent(pending(5))
    m.sent(pending(6))
    assert fates(m.reply(None, 1)) == [(5, "received")]
    assert fates(m.reply(None, 2)) == [(6, "received")]


def test_an_app_error_answers_the_oldest() -> None:
    m = Matcher()
    m.sent(pending(0))
    m.sent(pending(1))
    out = m.error(3, "app error X")
    assert fates(out) == [(0, "errored")] and out[0].error == "app error X"
    assert Matcher().error(3, "nothing pending") == []


def test_expire_times_out_only_what_is_old_enough() -> None:
    m = Matcher()
    m.sent(pending(0, sent_ns=0))
    m.sent(pending(1, sent_ns=50))
    out = m.expire(now_ns=100, timeout_ns=60)
    assert fates(out) == [(0, "timed_out")] and out[0].error == "no reply within 6e-08 s"
    assert m.in_flight == 1


def test_resolve_all_empties_with_one_outcome() -> None:
    m = Matcher()
    for seq in range(3):
        m.sent(pending(seq))
    out = m.resolve_all("errored", 9, "connection ended")
    assert fates(out) == [(0, "errored"), (1, "errored"), (2, "errored")]
    assert m.in_flight == 0 and m.oldest() is None


def test_why_a_reply_matched_nothing_is_counted_by_reason() -> None:
    m = Matcher(ordered=False)
    for seq in range(3):
        m.sent(pending(seq, sent_ns=0))
    assert fates(m.reply(0, 1)) == [(0, "received")]
    assert fates(m.expire(now_ns=100, timeout_ns=50)) == [(1, "timed_out"), (2, "timed_out")]
    assert m.reply(0, 101) == []  # answered already
    assert m.reply(1, 102) == []  # given up on: a reply after its timeout
    assert m.reply(7, 103) == []  # never sent
    assert m.reply(-1, 104) == []
    assert m.reply(None, 105) == []  # nothing pending, and the app echoes ids anyway
    assert m.unmatched_by == {"late": 1, "duplicate": 1, "unknown": 2, "unsolicited": 1}
    assert m.unmatched == 5


def test_once_the_app_echoes_ids_a_reply_without_one_matches_nothing() -> None:
    """A flood of id-less frames must not take the place of the replies."""
    m = Matcher()
    m.sent(pending(0))
    assert fates(m.reply(0, 1)) == [(0, "received")]
    m.sent(pending(1))
    for t in range(2, 12):
        assert m.reply(None, t) == []
    assert m.in_flight == 1
    assert fates(m.reply(1, 20)) == [(1, "received")]
    assert m.unmatched_by["unsolicited"] == 10 and m.echoes_ids


def test_an_app_that_echoes_no_ids_is_matched_first_in_first_out_throughout() -> None:
    m = Matcher()
    for seq in range(3):
        m.sent(pending(seq))
    assert [fates(m.reply(None, t)) for t in range(3)] == [
        [(0, "received")],
        [(1, "received")],
        [(2, "received")],
    ]
    assert m.reply(None, 4) == [] and m.unmatched_by["unsolicited"] == 1
    assert not m.echoes_ids


def test_a_duplicate_is_told_from_a_late_reply_within_the_recent_window() -> None:
    from app.core.sessions.matcher import RECENT

    m = Matcher()
    for seq in range(RECENT + 2):
        m.sent(pending(seq))
        assert fates(m.reply(seq, seq)) == [(seq, "received")]
    assert m.reply(RECENT + 1, 0) == [] and m.unmatched_by["duplicate"] == 1
    assert m.reply(0, 0) == [] and m.unmatched_by["late"] == 1  # too old to tell: late
