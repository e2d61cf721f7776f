from __future__ import annotations

import pytest

from server_mock.config import FaultConfig
from server_mock.faults import FAULT_PARAMS, FaultParamError, Faults, parse_overrides


def test_query_overrides_only_what_it_names() -> None:
    base = FaultConfig(latency_ms=5, drop=0.1)
    got = parse_overrides(base, {"drop": "0.5", "disconnect_after": "3", "unrelated": "x"})
    assert got == FaultConfig(latency_ms=5, drop=0.5, disconnect_after=3)
    assert parse_overrides(base, {}) is base


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"drop": "1.5"}, "drop='1.5' must be between 0 and 1"),
        ({"latency_ms": "-1"}, "must not be negative"),
        ({"disconnect_after": "2.5"}, "disconnect_after='2.5' is not a whole number"),
        ({"jitter_ms": "lots"}, "jitter_ms='lots' is not a number"),
    ],
)
def test_bad_overrides_name_the_parameter(query: dict[str, str], message: str) -> None:
    with pytest.raises(FaultParamError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_overrides(FaultConfig(), query)


def test_every_config_field_is_a_query_parameter() -> None:
    assert set(FAULT_PARAMS) == set(FaultConfig.__dataclass_fields__)


def test_seeded_faults_repeat() -> None:
    a = Faults(FaultConfig(drop=0.3, seed=42))
    b = Faults(FaultConfig(drop=0.3, seed=42))
    assert [a.drop_output() for _ in range(100)] == [b.drop_output() for _ in range(100)]


def test_delay_stays_within_jitter_and_never_negative() -> None:
    faults = Faults(FaultConfig(latency_ms=10, jitter_ms=4, seed=1))
    delays = [faults.delay_s() for _ in range(500)]
    assert all(0.006 <= d <= 0.014 for d in delays)
    assert max(delays) - min(delays) > 0.006
    wide = Faults(FaultConfig(latency_ms=1, jitter_ms=5, seed=1))
    assert min(wide.delay_s() for _ in range(200)) == 0.0


def test_disabled_faults_do_nothing() -> None:
    faults = Faults(FaultConfig())
    assert not faults.active
    assert not any(
        faults.drop_output() or faults.error_output() or faults.drop_frame() for _ in range(100)
    )
    assert faults.delay_s() == 0.0
    assert not any(faults.count_output() for _ in range(100))


def test_disconnect_after_counts_outputs() -> None:
    faults = Faults(FaultConfig(disconnect_after=3))
    assert [faults.count_output() for _ in range(3)] == [False, False, True]


def test_stall_happens_once_after_n_events() -> None:
    faults = Faults(FaultConfig(stall_ms=250, stall_after=2))
    assert [faults.stall_s(n) for n in range(4)] == [0.0, 0.0, 0.25, 0.0]
