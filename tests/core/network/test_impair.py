"""The packet impairment model against its definition, with seeded random streams."""

from __future__ import annotations

import math
import random

import pytest

from app.core.network.impair import GilbertElliott, Impairment, Link, NetworkError

N = 20_000


def _band(n: int, p: float, sigmas: float = 5.0) -> tuple[float, float]:
    """A binomial count's band: n p ± 5 sigma."""
    sd = math.sqrt(n * p * (1 - p))
    return n * p - sigmas * sd, n * p + sigmas * sd


@pytest.mark.parametrize("loss", [0.01, 0.05, 0.10, 0.30])
def test_random_loss_rate_is_inside_the_binomial_band(loss: float) -> None:
    link = Link(Impairment(loss=loss), random.Random(1))
    lost = sum(link.admit(1000, i / 1000) is None for i in range(N))
    low, high = _band(N, loss)
    assert low <= lost <= high
    assert link.counters.lost == lost and link.counters.delivered == N - lost


def test_no_loss_and_full_loss() -> None:
    clean = Link(Impairment(), random.Random(2))
    assert all(clean.admit(100, i / 100) is not None for i in range(1000))
    dead = Link(Impairment(loss=1.0), random.Random(2))
    assert all(dead.admit(100, i / 100) is None for i in range(1000))


def _runs(flags: list[bool]) -> list[int]:
    runs, current = [], 0
    for lost in flags:
        if lost:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    return runs + ([current] if current else [])


@pytest.mark.parametrize("burst", [2.0, 4.0, 8.0])
def test_bursty_loss_keeps_the_rate_and_has_the_mean_burst_length(burst: float) -> None:
    chain = GilbertElliott(random.Random(3))
    flags = [chain.lost(0.05, burst) for _ in range(200_000)]
    rate = sum(flags) / len(flags)
    assert 0.04 <= rate <= 0.06
    runs = _runs(flags)
    mean = sum(runs) / len(runs)
    assert burst * 0.85 <= mean <= burst * 1.15  # geometric: mean 1/r = burst


def test_independent_loss_has_short_runs() -> None:
    chain = GilbertElliott(random.Random(4))
    runs = _runs([chain.lost(0.05, 1.0) for _ in range(100_000)])
    assert 1.0 <= sum(runs) / len(runs) <= 1.1  # 1 / (1 - 0.05)


@pytest.mark.parametrize("spacing_s", [0.001, 0.050])
def test_delay_and_jitter_stay_inside_their_bounds(spacing_s: float) -> None:
    link = Link(Impairment(delay_ms=100, jitter_ms=20), random.Random(5))
    delays = []
    for i in range(5000):
        now = i * spacing_s
        at = link.admit(1200, now)
        assert at is not None
        delays.append((at - now) * 1000)
    assert min(delays) >= 80 - 1e-6 and max(delays) <= 120 + 1e-6
    mean = sum(delays) / len(delays)
    if spacing_s > 0.040:  # packets further apart than the jitter's range: uniform draw
        assert 99 <= mean <= 101
        assert max(delays) - min(delays) > 30  # the jitter is really drawn
    else:  # closer: keeping the order holds some back, towards delay + jitter
        assert 100 < mean <= 120


def test_jitter_never_reorders_and_never_goes_below_zero() -> None:
    link = Link(Impairment(delay_ms=5, jitter_ms=50), random.Random(6))
    times = [link.admit(100, i * 0.002) for i in range(2000)]
    assert all(t is not None for t in times)
    assert times == sorted(times)
    assert all(t >= i * 0.002 for i, t in enumerate(times) if t is not None)


def test_token_bucket_delivers_at_the_rate() -> None:
    """Offer 2x the rate for 10 s: what comes out leaves at the rate, the rest overflows."""
    rate_kbps, size = 1000.0, 1000
    link = Link(Impairment(rate_kbps=rate_kbps, queue_ms=200), random.Random(7))
    offered_per_s = 2 * rate_kbps * 1000 / 8 / size  # packets/s at twice the rate
    out = []
    for i in range(int(10 * offered_per_s)):
        at = link.admit(size, i / offered_per_s)
        if at is not None:
            out.append(at)
    bits = len(out) * size * 8
    seconds = out[-1] - out[0]
    assert rate_kbps * 1000 * 0.97 <= bits / seconds <= rate_kbps * 1000 * 1.03
    assert 0.45 <= link.counters.overflow / link.counters.packets <= 0.55
    # no packet waits longer than the queue (plus one packet's time)
    assert max(at - i / offered_per_s for i, at in enumerate(out)) < 10  # sanity
    link2 = Link(Impairment(rate_kbps=rate_kbps, queue_ms=200), random.Random(7))
    waits = []
    for i in range(int(10 * offered_per_s)):
        now = i / offered_per_s
        at = link2.admit(size, now)
        if at is not None:
            waits.append(at - now)
    assert max(waits) <= 0.200 + size * 8 / (rate_kbps * 1000) + 1e-9


def test_under_the_rate_nothing_waits_long() -> None:
    link = Link(Impairment(rate_kbps=1000), random.Random(8))
    waits = []
    for i in range(1000):  # 500 kbit/s offered
        now = i * 0.016
        at = link.admit(1000, now)
        assert at is not None
        waits.append(at - now)
    assert max(waits) <= 0.0081  # one packet's serialisation at most


def test_a_change_applies_to_the_next_packet() -> None:
    link = Link(Impairment(delay_ms=10), random.Random(9))
    assert link.admit(100, 0.0) == pytest.approx(0.010)
    link.set(Impairment(delay_ms=200))
    assert link.admit(100, 1.0) == pytest.approx(1.200)
    link.set(Impairment(loss=1.0))
    assert link.admit(100, 2.0) is None


def test_seeded_links_are_deterministic() -> None:
    imp = Impairment(delay_ms=30, jitter_ms=10, loss=0.1, burst=3)
    a = [Link(imp, random.Random(42)).admit(100, 0.0) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    one, two = Link(imp, random.Random(42)), Link(imp, random.Random(42))
    assert [one.admit(100, i / 100) for i in range(500)] == [
        two.admit(100, i / 100) for i in range(500)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [{"loss": 1.5}, {"loss": -0.1}, {"delay_ms": -1}, {"burst": 0.5}, {"rate_kbps": 1e9}],
)
def test_bad_values_are_one_line_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(NetworkError) as info:
        Impairment(**kwargs)
    assert "\n" not in str(info.value) and "network" in str(info.value)
