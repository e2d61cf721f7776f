"""`--record FILE` for `rtprobe run`: every frame of the run, both ways, written as a HAR
recording (`app.core.record`) once the run is over, even when a signal ended it. Kept
here so the run command only calls four functions."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from app import __version__
from app.commands import outputs
from app.commands.flags import FLAGS
from app.core.config import RunConfig
from app.core.engine.build import key_from_env
from app.core.errors import TargetError
from app.core.record.recorder import Recorder
from app.core.redact import Redactor


def add_argument(p: Any) -> None:
    p.add_argument(
        FLAGS["record"],
        metavar="FILE",
        help="save every frame both ways with its time as a HAR file (Chrome's WebSocket "
        "format; secrets masked); replay it with `rtprobe replay`, serve it with "
        "`rtprobe mock --from`",
    )
    p.add_argument(
        FLAGS["record_pixels"],
        action="store_true",
        help="with --record, WebRTC: keep each session's first 900 received frames as "
        "160-px-wide JPEGs too (served by `rtprobe mock --from`; none by default)",
    )


def check(args: argparse.Namespace) -> None:
    """The recording's path is writable, before anything is sent (TargetError if not)."""
    if getattr(args, "record", None):
        outputs.check(FLAGS["record"], args.record)
    elif getattr(args, "record_pixels", False):
        raise TargetError(f"{FLAGS['record_pixels']} needs {FLAGS['record']} FILE")


def recording(args: argparse.Namespace, config: RunConfig) -> tuple[RunConfig, Recorder | None]:
    """The run's config (recording its frames when asked) and its recorder, or None."""
    if not getattr(args, "record", None):
        return config, None
    config = dataclasses.replace(config, record_messages=True)
    if getattr(args, "record_pixels", False):
        webrtc = dataclasses.replace(config.webrtc, record_pixels=True)
        config = dataclasses.replace(config, webrtc=webrtc)
    return config, Recorder(config, __version__)


def finish(args: argparse.Namespace, recorder: Recorder | None, redactor: Redactor) -> str | None:
    """Write the recording through the run's redactor (its key, headers and every token
    it fetched) and `$FAL_KEY`; the error line when it could not be written."""
    if recorder is None:
        return None
    try:
        recorder.write(args.record, redactor, Redactor([key_from_env()]))
    except OSError as exc:
        return outputs.failed_write(FLAGS["record"], args.record, exc)
    if recorder.dropped_frames:  # a warning, not a failure: the file is whole
        print(
            f"rtprobe: --record {args.record!r}: {recorder.dropped_frames} frames past the "
            "recording's size limit were left out",
            file=sys.stderr,
        )
    return None
