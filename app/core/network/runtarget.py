"""A run's `network` setting, checked, and applied to a byte-stream target.

WebRTC runs impair their own RTP/RTCP in the client (`transports.webrtc_network`), so
they work against any server. realtime, ws and SSE runs carry TCP, which a process
cannot impair from the client side without a proxy: the profile becomes the rtprobe
mock's `?toxic=` query parameter (latency, then bandwidth, per direction), applied by
the mock to that connection's bytes. Against another server, use `rtprobe proxy`.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.core.errors import TargetError
from app.core.network.changes import format_schedule, parse_schedule
from app.core.network.impair import NetworkError, NetworkProfile
from app.core.network.profile import parse_profile, to_toxics
from app.core.network.spec import format_spec
from app.core.sessions import registry
from app.core.targets import Target


def checked_profile(spec: str, label: str = "network") -> NetworkProfile:
    try:
        return parse_profile(spec)
    except NetworkError as exc:
        raise TargetError(f"{label}: {exc}") from None


def checked_schedule(items: tuple[str, ...], label: str = "network_at") -> tuple[str, ...]:
    """`network_at` items, checked now (not mid-run), in a normal form and time order."""
    try:
        return tuple(format_schedule(parse_schedule(items)))
    except NetworkError as exc:
        raise TargetError(f"{label}: {exc}") from None


def with_network(target: Target, spec: str, label: str = "network") -> Target:
    """`target` with the profile's toxics in its query (byte-stream transports only)."""
    profile = checked_profile(spec, label)
    if registry.fact(target.transport, "impairs_packets") or profile.clean:
        return target
    parts = urlsplit(target.url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "toxic"]
    query.append(("toxic", format_spec(to_toxics(profile))))
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
    return dataclasses.replace(target, url=url)
