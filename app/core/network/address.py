"""HOST:PORT addresses for the proxy, and the loopback rule (pure)."""

from __future__ import annotations

import ipaddress


class AddressError(ValueError):
    """A HOST:PORT that does not parse, or a host the proxy may not use (one line)."""


def parse_address(text: str, what: str) -> tuple[str, int]:
    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host:
        raise AddressError(f"{what} {text[:60]!r} is not HOST:PORT")
    try:
        port = int(port_text)
    except ValueError:
        raise AddressError(
            f"{what} {text[:60]!r}: port {port_text[:20]!r} is not a number"
        ) from None
    if not 0 <= port <= 65535:
        raise AddressError(f"{what} {text[:60]!r}: port {port} is out of range 0..65535")
    return host, port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
