"""What a connection's form holds, without Qt: saved in session files, turned into a run.

`ConnectionSettings` is the form as plain values (what the session file keeps; never a
key). `run_settings` says what the GUI means by them in the builder's terms: 0 is
"off" in its spin boxes (closed loop, no max_buffering), `mock/…` app ids go to the
embedded mock, and the inspector and the Video tab want messages and previews.
`build_config` then checks and builds the run exactly as `rtprobe run` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core import inputs, verdicts
from app.core.config import RunConfig
from app.core.engine import build
from app.core.engine.build import RunSettings
from app.core.errors import TargetError
from app.core.sessionfile import ConnectionSpec
from app.core.sessions import registry

# (target, payload) a new connection of each transport starts with (the registry's)
EXAMPLES: dict[str, tuple[str, str]] = {
    name: (t.example_target, t.example_payload) for name, t in registry.TRANSPORTS.items()
}
FOREVER_S = 24 * 3600.0  # "Start": until Stop
# what the form calls a field where its name in the builder would read oddly
LABELS = {
    "payload_format": "format",
    "max_buffering": "max_buffering",
    "network": "network",
    "network_at": "network changes",
}
MOCK_PREFIX = "mock/"


@dataclass
class ConnectionSettings:
    """What the form holds; saved in session files (never a key)."""

    transport: str = "realtime"
    target: str = "mock/echo"
    payload: str = EXAMPLES["realtime"][1]
    payload_format: str = "json"
    max_buffering: int = 0  # 0: not sent
    headers: str = ""  # "Name: value; Name2: value"
    rate: float = 0.0  # messages/s; 0: closed loop
    concurrency: int = 1
    duration_s: float = 10.0
    timeout_s: float = 10.0
    use_jwt: bool = True
    # webrtc only
    video_source: str = "synthetic"  # synthetic | file:PATH | camera[:DEVICE]
    video_size: str = "640x480"
    video_fps: float = 30.0
    data_channel: bool = False
    record_pixels: bool = False  # when Record is on: pictures of the received frames too
    jitter_release: str = "marker"  # marker | next-frame (aiortc's own)
    network: str = ""  # a network preset or profile at the start; the faults dock changes it live
    network_at: tuple[str, ...] = ()  # WebRTC: changes at set times ("5s:3g", "12s:mock:none")
    # the connection's assertions, as `--assert` expressions: "p99<50ms, errors==0"
    thresholds: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def to_spec(s: ConnectionSettings) -> ConnectionSpec:
    """The form as a session-file entry (secret header values are dropped on save)."""
    try:
        headers = parse_headers(s.headers)
    except TargetError:
        headers = {}
    return ConnectionSpec(
        name=f"{s.transport} {s.target}",
        transport=s.transport,
        target=s.target,
        payload=s.payload,
        payload_format=s.payload_format,
        max_buffering=s.max_buffering,
        headers=headers,
        rate=s.rate,
        duration=s.duration_s,
        concurrency=s.concurrency,
        timeout=s.timeout_s,
        use_jwt=s.use_jwt,
        video_source=s.video_source,
        video_size=s.video_size,
        video_fps=s.video_fps,
        data_channel=s.data_channel,
        record_pixels=s.record_pixels,
        jitter_release=s.jitter_release,
        network=s.network,
        network_at=list(s.network_at),
        assertions=verdicts.split(s.thresholds),
    )


def from_spec(spec: ConnectionSpec) -> ConnectionSettings:
    return ConnectionSettings(
        transport=spec.transport,
        target=spec.target,
        payload=spec.payload,
        payload_format=spec.payload_format if spec.payload_format != "bytes" else "json",
        max_buffering=spec.max_buffering,
        headers="; ".join(f"{k}: {v}" for k, v in spec.headers.items()),
        rate=spec.rate,
        concurrency=spec.concurrency,
        duration_s=spec.duration if spec.duration else 10.0,
        timeout_s=spec.timeout,
        use_jwt=spec.use_jwt,
        video_source=spec.video_source,
        video_size=spec.video_size,
        video_fps=spec.video_fps,
        data_channel=spec.data_channel,
        record_pixels=spec.record_pixels,
        jitter_release=spec.jitter_release,
        network=spec.network,
        network_at=tuple(spec.network_at),
        thresholds=", ".join(spec.assertions),
    )


def parse_headers(text: str) -> dict[str, str]:
    """The form's one-line `Name: value; Other: value`."""
    return inputs.parse_header_text(text)


def run_settings(
    s: ConnectionSettings,
    *,
    mock_base: str | None,
    key: str | None,
    count: int | None,
    duration_s: float | None,
    record: bool = True,
    recording: bool = False,
) -> RunSettings:
    """The form in the builder's terms. `mock/…` app ids go to the embedded mock."""
    is_mock = s.target.strip().startswith(MOCK_PREFIX)
    if is_mock and mock_base is None:
        raise TargetError("mock/… targets need the embedded mock server: start it in the toolbar")
    return RunSettings(
        transport=s.transport,
        target=s.target,
        payload=s.payload,
        payload_format=s.payload_format,
        count=count,
        duration_s=duration_s,
        rate=s.rate or None,  # the spin box's 0 reads "closed loop"
        concurrency=s.concurrency,
        timeout_s=s.timeout_s,
        headers=s.headers,
        max_buffering=s.max_buffering or None,  # its 0 reads "off"
        key=key,
        use_jwt=s.use_jwt,
        base_url=mock_base if is_mock else None,
        record_messages=record,
        video_source=s.video_source,
        video_size=s.video_size,
        video_fps=s.video_fps,
        data_channel=s.data_channel,
        jitter_release=s.jitter_release,
        network=s.network,
        network_at=s.network_at,
        video_preview=True,  # the Video tab shows them
        record_pixels=s.record_pixels and recording,  # only when Record writes a file
    )


def build_config(
    s: ConnectionSettings,
    *,
    mock_base: str | None,
    key: str | None,
    count: int | None,
    duration_s: float | None,
    record: bool = True,
    recording: bool = False,
) -> RunConfig:
    """The run a form asks for, checked and built as `rtprobe run` builds its own
    (`recording`: the Record toggle will write it to a file)."""
    settings = run_settings(
        s,
        mock_base=mock_base,
        key=key,
        count=count,
        duration_s=duration_s,
        record=record,
        recording=recording,
    )
    return build.build_config(settings, LABELS)


def check_payload(s: ConnectionSettings) -> None:
    """Raise TargetError when the payload as typed could not be sent (checked as typed)."""
    build.payload_of(
        RunSettings(
            transport=s.transport,
            target=s.target,
            payload=s.payload,
            payload_format=s.payload_format,
        ),
        LABELS,
    )
