"""The pure planner against each toxic's definition (Toxiproxy's toxics/*.go): bytes and
a time in, what leaves when out. No sockets, no loop: exact figures."""

from __future__ import annotations

import itertools
import random

import pytest

from app.core.network.plan import CLOSE_KIND, EOF_KIND, RESET_KIND, Chain, End, Piece
from app.core.network.spec import parse_spec


def chain(spec: str, now: float = 0.0, seed: int = 1) -> Chain:
    c = Chain(random.Random(seed))
    c.update([t for t in parse_spec(spec) if t.stream == "downstream"], now)
    return c


def pieces(items: list[Piece | End]) -> list[Piece]:
    return [i for i in items if isinstance(i, Piece)]


def test_no_toxic_is_idle_and_passes_bytes_at_once() -> None:
    c = chain("")
    assert c.idle
    assert c.feed(b"abc", 5.0) == [Piece(5.0, b"abc", 5.0)]
    assert c.eof(6.0) == [End(6.0, EOF_KIND)]


def test_bandwidth_64kib_at_100kb_s_takes_655ms_in_100ms_slices() -> None:
    c = chain("bandwidth:rate=100")
    out = pieces(c.feed(b"x" * 65536, 0.0))
    assert b"".join(p.data for p in out) == b"x" * 65536
    assert [len(p.data) for p in out] == [10_000] * 6 + [5536]
    assert [round(p.at, 4) for p in out] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.6554]
    # no credit while idle, and back-to-back chunks queue behind each other
    again = pieces(c.feed(b"y" * 1000, 0.1))
    assert again[0].at == pytest.approx(0.6554 + 0.01, abs=1e-4)
    assert pieces(chain("bandwidth:rate=0").feed(b"z" * 10**6, 1.0))[0].at == 1.0


def test_latency_with_jitter_stays_in_its_band_and_keeps_order() -> None:
    c = chain("latency:latency=50,jitter=10")
    leaves = []
    for i in range(500):
        now = i * 0.1  # far apart: each chunk's own delay shows
        (p,) = pieces(c.feed(b"m", now))
        leaves.append(p.at - now)
    assert min(leaves) >= 0.040 - 1e-9 and max(leaves) < 0.060
    assert max(leaves) - min(leaves) > 0.015  # it does vary
    # back to back: a later chunk never overtakes an earlier one
    c2 = chain("latency:latency=50,jitter=40")
    times = [pieces(c2.feed(b"m", i * 0.001))[0].at for i in range(200)]
    assert times == sorted(times)


def test_latency_counts_from_the_read_time_as_toxiproxy_does() -> None:
    # bandwidth then latency: the latency is not added on top of the transfer time
    c = chain("bandwidth:rate=100;latency:latency=50")
    out = pieces(c.feed(b"x" * 20_000, 0.0))
    assert [round(p.at, 3) for p in out] == [0.1, 0.2]


def test_slicer_delivers_the_same_bytes_in_small_pieces_delay_apart() -> None:
    data = bytes(range(256)) * 64
    c = chain("slicer:average_size=100,size_variation=20,delay=1000")
    out = pieces(c.feed(data, 0.0))
    assert b"".join(p.data for p in out) == data
    assert len(out) > 100
    assert all(1 <= len(p.data) <= 120 for p in out)
    gaps = [b.at - a.at for a, b in itertools.pairwise(out)]
    assert all(g == pytest.approx(0.001) for g in gaps)


def test_slow_close_delays_the_close_not_the_data() -> None:
    c = chain("slow_close:delay=300")
    assert pieces(c.feed(b"a", 1.0))[0].at == 1.0
    assert c.eof(2.0) == [End(2.3, EOF_KIND)]


def test_timeout_drops_data_then_closes_after_the_last_chunk() -> None:
    c = chain("timeout:timeout=200", now=0.0)
    assert c.deadline() == pytest.approx(0.2)
    assert c.feed(b"dropped", 0.1) == []
    assert c.deadline() == pytest.approx(0.3)  # the timer restarts per chunk
    assert c.expire(0.3) == [End(0.3, CLOSE_KIND)]
    assert c.ended and c.feed(b"more", 0.4) == [] and c.deadline() is None


def test_timeout_zero_hangs_until_removed_which_closes() -> None:
    c = chain("timeout:timeout=0")
    assert c.feed(b"x", 1.0) == [] and c.deadline() is None
    assert c.update([], 5.0) == [End(5.0, CLOSE_KIND)]


def test_limit_data_passes_exactly_n_bytes_then_closes() -> None:
    c = chain("limit_data:bytes=1000")
    out = c.feed(b"a" * 600, 0.0) + c.feed(b"b" * 600, 0.1)
    assert b"".join(p.data for p in pieces(out)) == b"a" * 600 + b"b" * 400
    assert out[-1] == End(0.1, CLOSE_KIND)
    assert c.feed(b"c", 0.2) == []


def test_reset_peer_drops_the_first_data_and_resets_after_timeout() -> None:
    c = chain("reset_peer:timeout=100")
    assert c.deadline() is None  # nothing until data arrives
    assert c.feed(b"x", 1.0) == []
    assert c.deadline() == pytest.approx(1.1)
    assert c.expire(1.1) == [End(1.1, RESET_KIND)]


def test_toxicity_zero_never_applies_one_always_and_half_about_half() -> None:
    for seed in range(50):
        assert chain("latency:latency=100,toxicity=0", seed=seed).idle
        assert not chain("latency:latency=100,toxicity=1", seed=seed).idle
    applied = sum(not chain("latency:latency=1,toxicity=0.5", seed=s).idle for s in range(400))
    assert 140 < applied < 260


def test_live_update_keeps_unchanged_toxics_and_applies_to_the_next_bytes() -> None:
    c = chain("limit_data:bytes=100")
    c.feed(b"a" * 60, 0.0)
    stage = c.stages[0]
    latency = parse_spec("latency:latency=10")
    c.update([*parse_spec("limit_data:bytes=100"), *latency], 1.0)
    assert c.stages[0] is stage  # same toxic: same stage, same count
    (p,) = pieces(c.feed(b"b" * 10, 2.0))
    assert p.at == pytest.approx(2.01)
    c.update(parse_spec("limit_data:bytes=80"), 3.0)  # changed: state carries over
    out = c.feed(b"c" * 50, 4.0)
    assert len(pieces(out)[0].data) == 10 and out[-1] == End(4.0, CLOSE_KIND)
