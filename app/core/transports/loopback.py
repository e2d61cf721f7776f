"""Keep WebRTC on this machine: no STUN/TURN, 127.0.0.1 host candidates only.

aiortc's default configuration names a public STUN server, and aioice leaves 127.0.0.1
out of its host addresses, so two local peers would otherwise talk over the LAN address
(or not at all without one). The mock server and the rtprobe client both use:

- `rtc_configuration()` for every `RTCPeerConnection`;
- `use_loopback_candidates()` around the peer connection's life (at least around
  `setLocalDescription`, where aioice gathers), which makes aioice offer 127.0.0.1 only;
- `keep_loopback_candidates()` / `is_loopback_address()` to refuse remote candidates
  that would make aioice send connectivity checks (or mDNS queries) off the machine.

Only importing aiortc/aioice, no I/O; the SDP helpers are pure.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Callable, Iterator

import aioice.ice
from aiortc import RTCConfiguration

LOOPBACK_V4 = "127.0.0.1"

_lock = threading.Lock()
_users = 0
_original: Callable[[bool, bool], list[str]] | None = None


def rtc_configuration() -> RTCConfiguration:
    """A configuration with no ICE servers, so nothing is sent to a public STUN server."""
    return RTCConfiguration(iceServers=[])


def _loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """Stand-in for `aioice.ice.get_host_addresses`: 127.0.0.1 only."""
    return [LOOPBACK_V4] if use_ipv4 else []


@contextlib.contextmanager
def use_loopback_candidates() -> Iterator[None]:
    """While active, aioice gathers host candidates on 127.0.0.1 only.

    Patches the module-level `aioice.ice.get_host_addresses`, which aioice looks up at
    gathering time. Reference-counted, so nested and concurrent sessions (a mock server
    and a client in one process) can each hold it; the original function comes back when
    the last one leaves. Idempotent in effect: entering again changes nothing.
    """
    global _users, _original
    with _lock:
        if _users == 0:
            _original = aioice.ice.get_host_addresses
            aioice.ice.get_host_addresses = _loopback_host_addresses
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                # Leave someone else's later patch alone.
                if (
                    aioice.ice.get_host_addresses is _loopback_host_addresses
                    and _original is not None
                ):
                    # putting a module's function back: mypy types the module attribute as
                    # that exact function, not as any callable of its shape
                    aioice.ice.get_host_addresses = _original  # type: ignore[assignment]
                _original = None


def loopback_candidates_active() -> bool:
    """True while some `use_loopback_candidates()` block is open."""
    return aioice.ice.get_host_addresses is _loopback_host_addresses


def is_loopback_address(host: str) -> bool:
    """True for 127.0.0.0/8 and ::1; False for names (mDNS `.local`) and anything else."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def candidate_address(candidate: str) -> str | None:
    """The connection address of one `candidate:` attribute value, or None if malformed.

    Accepts `candidate:…`, `a=candidate:…` or the bare attribute value (the form in
    `RTCIceCandidate`-like dicts, with or without the `candidate:` prefix).
    """
    text = candidate.strip()
    text = text.removeprefix("a=").removeprefix("candidate:")
    bits = text.split()
    return bits[4] if len(bits) >= 8 else None


def sdp_candidate_addresses(sdp: str) -> set[str]:
    """The addresses of all `a=candidate:` lines in an SDP."""
    found: set[str] = set()
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            address = candidate_address(line)
            if address is not None:
                found.add(address)
    return found


def keep_loopback_candidates(sdp: str) -> tuple[str, list[str]]:
    """(SDP without non-loopback `a=candidate:` lines, the addresses removed).

    Line endings are kept as they were (SDP uses CRLF).
    """
    kept: list[str] = []
    removed: list[str] = []
    for line in sdp.splitlines(keepends=True):
        if line.startswith("a=candidate:"):
            address = candidate_address(line)
            if address is None or not is_loopback_address(address):
                removed.append(address or line.strip())
                continue
        kept.append(line)
    return "".join(kept), removed
