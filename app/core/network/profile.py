"""Network profiles: named presets and the compact custom syntax, shared by the CLI
(`--network`), session files (`network:`), the GUI's network section and the mock
(`rtprobe mock --network`, `?network=`, `/_mock/network`). Pure: no I/O.

    PROFILE := [PRESET] ("," [DIR "."] KEY "=" VALUE)*       e.g. "4g", "4g,loss=2%",
                                                            "delay=100,jitter=20,loss=2%,rate=1000"
    DIR     := up | down          (no DIR: both directions)
    KEY     := delay ms | jitter ms | loss % | burst packets | rate kbit/s | queue ms

Delays are one way (a round trip adds `up.delay + down.delay`). A profile maps to
WebRTC impairments (`impair.Impairment`, every RTP/RTCP packet) and to byte-stream
toxics for realtime, ws and SSE (`to_toxics`: latency then bandwidth; TCP has no loss to
give, its retransmissions are what loss becomes, so `loss` and `burst` have no toxic).
docs/network.md says where each preset's numbers come from.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.network.impair import CLEAN, Impairment, NetworkError, NetworkProfile
from app.core.network.spec import parse_spec
from app.core.network.toxics import Toxic

_SPEC_MAX = 512
NETWORK_HELP = (
    "network conditions: a preset (none, 3g, 4g, lte, edge, satellite, lossy-wifi) or a "
    "profile such as 'delay=100,jitter=20,loss=2%%,rate=1000' or '4g,up.loss=5%%' "
    "(WebRTC: RTP/RTCP impaired in the client; realtime/ws/SSE: the mock's ?toxic=)"
)


def _preset(name: str, up: Impairment, down: Impairment) -> NetworkProfile:
    return NetworkProfile(up=up, down=down, name=name)


def _i(delay: float, jitter: float, up_or_down_kbps: float, loss: float = 0, burst: float = 1):
    return Impairment(
        delay_ms=delay, jitter_ms=jitter, rate_kbps=up_or_down_kbps, loss=loss, burst=burst
    )


PRESETS: dict[str, NetworkProfile] = {
    "none": CLEAN,
    # WebPageTest "Mobile 3G - Fast" = Lighthouse's packet-level 3G: 150 ms RTT, 1.6/0.75 Mbit/s
    "3g": _preset("3g", _i(75, 10, 750), _i(75, 10, 1600)),
    # WebPageTest "Mobile 4G": 170 ms RTT, 9 Mbit/s each way
    "4g": _preset("4g", _i(85, 10, 9000), _i(85, 10, 9000)),
    # WebPageTest "Mobile LTE": 70 ms RTT, 12 Mbit/s each way
    "lte": _preset("lte", _i(35, 5, 12000), _i(35, 5, 12000)),
    # WebPageTest "Mobile Edge": 840 ms RTT, 240 kbit/s down, 200 kbit/s up
    "edge": _preset("edge", _i(420, 20, 200), _i(420, 20, 240)),
    # a geostationary hop: ~600 ms RTT (2 x 35,786 km up and down, plus processing)
    "satellite": _preset("satellite", _i(300, 15, 3000, 0.005), _i(300, 15, 15000, 0.005)),
    # ours: a busy 2.4 GHz Wi-Fi, short path, bursty loss well past G.1010's 1 % for video
    "lossy-wifi": _preset("lossy-wifi", _i(5, 10, 0, 0.05, 3), _i(5, 10, 0, 0.05, 3)),
}

_KEYS = {
    "delay": "delay_ms",
    "jitter": "jitter_ms",
    "loss": "loss",
    "burst": "burst",
    "rate": "rate_kbps",
    "queue": "queue_ms",
}


def _number(key: str, text: str) -> float:
    raw = text.strip().removesuffix("%") if key == "loss" else text.strip()
    try:
        value = float(raw)
    except ValueError:
        raise NetworkError(f"network {key}: {text.strip()[:40]!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise NetworkError(f"network {key}: {text.strip()[:40]!r} is not a number")
    return value / 100 if key == "loss" else value


def parse_profile(text: str) -> NetworkProfile:
    """The profile of `text` ("" or "none": clean); raises NetworkError (one line)."""
    text = text.strip()
    if len(text) > _SPEC_MAX:
        raise NetworkError(f"network profile is longer than {_SPEC_MAX} characters")
    parts = [p.strip() for p in text.split(",")] if text else []
    profile = CLEAN
    if parts and "=" not in parts[0]:
        name = parts.pop(0).lower()
        if name not in PRESETS:
            raise NetworkError(
                f"unknown network preset {name[:40]!r} (known: {', '.join(PRESETS)})"
            )
        profile = PRESETS[name]
    up: dict[str, float] = {}
    down: dict[str, float] = {}
    for part in parts:
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not eq:
            raise NetworkError(f"network profile: {part[:40]!r} is not KEY=VALUE")
        where, _, bare = key.rpartition(".")
        if bare not in _KEYS or where not in ("", "up", "down"):
            raise NetworkError(
                f"network profile: unknown key {key[:40]!r} "
                f"(known: {', '.join(_KEYS)}, each may start with up. or down.)"
            )
        number = _number(bare, value)
        for side, chosen in (("up", up), ("down", down)):
            if where in ("", side):
                chosen[_KEYS[bare]] = number
    if not up and not down:
        return profile
    return NetworkProfile(
        up=replace(profile.up, **up),  # Impairment checks every bound
        down=replace(profile.down, **down),
        name=profile.name + "+custom" if profile.name not in ("", "none") else "custom",
    )


def format_profile(profile: NetworkProfile) -> str:
    """The compact text of `profile` (parse_profile reads it back to the same values)."""
    items: list[str] = []
    for side, imp in (("up", profile.up), ("down", profile.down)):
        for key, attr in _KEYS.items():
            value = getattr(imp, attr)
            default = getattr(Impairment(), attr)
            if value != default:
                shown = f"{value * 100:g}%" if key == "loss" else f"{value:g}"
                items.append(f"{side}.{key}={shown}")
    return ",".join(items) or "none"


def describe(profile: NetworkProfile) -> str:
    """One line for logs, markers and the GUI: `4g: up 85±10 ms 9000 kbit/s, down …`."""

    def one(imp: Impairment) -> str:
        bits = [f"{imp.delay_ms:g}±{imp.jitter_ms:g} ms"]
        if imp.loss:
            bits.append(
                f"loss {imp.loss * 100:g} %" + (f" (burst {imp.burst:g})" if imp.burst > 1 else "")
            )
        if imp.rate_kbps:
            bits.append(f"{imp.rate_kbps:g} kbit/s")
        return " ".join(bits)

    if profile.clean:
        return "network: clean"
    return f"network {profile.name or 'custom'}: up {one(profile.up)}; down {one(profile.down)}"


def to_toxics(profile: NetworkProfile) -> list[Toxic]:
    """Byte-stream toxics for realtime, ws and SSE: latency first, then bandwidth (KB/s)."""
    parts: list[str] = []
    for stream, imp in (("upstream", profile.up), ("downstream", profile.down)):
        if imp.delay_ms or imp.jitter_ms:
            parts.append(
                f"latency:latency={round(imp.delay_ms)},jitter={round(imp.jitter_ms)},"
                f"stream={stream},name=net_latency_{stream}"
            )
        if imp.rate_kbps:
            kbytes = max(1, round(imp.rate_kbps / 8))
            parts.append(f"bandwidth:rate={kbytes},stream={stream},name=net_bandwidth_{stream}")
    return parse_spec(";".join(parts))
