"""Text for people: one-line messages and masked secrets.

Every error rtprobe shows is one line (aiortc, av and httpx messages may span several),
and no message, log or report may echo a key back. Both rules live here once, for the
clients, the engine and the mock alike. Pure: no I/O.
"""

from __future__ import annotations

REDACTED = "***"
MIN_SECRET_PART = 8  # shorter fragments of a key are too likely to match ordinary text


def one_line(value: BaseException | str) -> str:
    """`value` on one line, whitespace runs collapsed; an exception without a message
    reads as its class name, so the line is never empty."""
    if isinstance(value, BaseException):
        return " ".join(str(value).split()) or type(value).__name__
    return " ".join(str(value).split())


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every secret masked, and for fal's `id:secret` keys the secret half too.

    For error messages, logs and reports that might echo a header or a URL back; empty
    or None secrets are skipped.
    """
    if not text:
        return text
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, REDACTED)
        _, sep, half = secret.rpartition(":")
        if sep and len(half) >= MIN_SECRET_PART:
            text = text.replace(half, REDACTED)
    return text
