"""Loopback helpers: SDP candidate checks (pure) and the scoped aioice patch."""

from __future__ import annotations

import aioice.ice

from app.core.transports import loopback

SDP = (
    "v=0\r\n"
    "o=- 1 1 IN IP4 0.0.0.0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n"
    "a=candidate:2 1 udp 2130706431 192.168.1.20 50001 typ host\r\n"
    "a=candidate:3 1 udp 1694498815 203.0.113.9 50002 typ srflx raddr 192.168.1.20 rport 1\r\n"
    "a=candidate:4 1 udp 2130706431 3f2a.local 50003 typ host\r\n"
    "a=end-of-candidates\r\n"
)


def test_sdp_candidate_addresses() -> None:
    assert loopback.sdp_candidate_addresses(SDP) == {
        "127.0.0.1",
        "192.168.1.20",
        "203.0.113.9",
        "3f2a.local",
    }
    assert loopback.sdp_candidate_addresses("v=0\r\n") == set()


def test_keep_loopback_candidates() -> None:
    kept, removed = loopback.keep_loopback_candidates(SDP)
    assert loopback.sdp_candidate_addresses(kept) == {"127.0.0.1"}
    assert removed == ["192.168.1.20", "203.0.113.9", "3f2a.local"]
    assert kept.endswith("a=end-of-candidates\r\n") and "\r\n" in kept
    assert loopback.keep_loopback_candidates(kept) == (kept, [])


def test_candidate_address_forms() -> None:
    bare = "1 1 udp 1 127.0.0.1 9 typ host"
    for text in (bare, "candidate:" + bare, "a=candidate:" + bare):
        assert loopback.candidate_address(text) == "127.0.0.1"
    assert loopback.candidate_address("candidate:garbage") is None


def test_is_loopback_address() -> None:
    assert loopback.is_loopback_address("127.0.0.1")
    assert loopback.is_loopback_address("127.3.2.1")
    assert loopback.is_loopback_address("::1")
    for host in ("192.168.1.2", "0.0.0.0", "abc.local", "", "localhost"):
        assert not loopback.is_loopback_address(host)


def test_rtc_configuration_has_no_ice_servers() -> None:
    assert loopback.rtc_configuration().iceServers == []


def test_use_loopback_candidates_is_scoped_and_nests() -> None:
    original = aioice.ice.get_host_addresses
    assert not loopback.loopback_candidates_active()
    with loopback.use_loopback_candidates():
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(False, True) == []
        with loopback.use_loopback_candidates():
            assert loopback.loopback_candidates_active()
        assert loopback.loopback_candidates_active()  # the outer user still holds it
    assert aioice.ice.get_host_addresses is original
    assert not loopback.loopback_candidates_active()
