"""The mock's logs never print a credential, at any level.

At `--log-level debug` uvicorn logs every handshake header (`< authorization: Key …`)
and its access log every URL (`/realtime?fal_jwt_token=…`). One filter on the loggers
the mock writes to masks, in each record's final text: the values of secret headers
(the same rule as the client's, `app.core.redact.is_secret_header`), secret query
parameters, `Key …`/`Bearer …` credentials anywhere, and the mock's own key (wherever
it appears, when it is long enough not to match ordinary text).
"""

from __future__ import annotations

import logging
import re

from app.core.redact import is_secret_header
from app.core.text import MIN_SECRET_PART, REDACTED, redact

LOGGERS = ("uvicorn.error", "uvicorn.access", "server_mock")

_HEADER_LINE = re.compile(r"^([<>] )([A-Za-z0-9_-]+)(: ?)(.*)$", re.MULTILINE)
_QUERY_PARAM = re.compile(r"([?&])([A-Za-z0-9_.-]+)=([^&\s\"']*)")
# as the schemes are written (ordinary text says "key", rarely "Key" before a word)
_SCHEME = re.compile(r"\b(Key|Bearer|bearer|Basic|Token)(\s+)([^\s\"',;]+)")


def mask(text: str, *keys: str | None) -> str:
    """`text` with every credential it may hold masked (pure; for any log line)."""

    def header(m: re.Match[str]) -> str:
        if not is_secret_header(m.group(2)) or not m.group(4):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}"

    def param(m: re.Match[str]) -> str:
        if not is_secret_header(m.group(2)) or not m.group(3):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}={REDACTED}"

    text = _HEADER_LINE.sub(header, text)
    text = _QUERY_PARAM.sub(param, text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return redact(text, *keys)


class SecretLogFilter(logging.Filter):
    """Rewrites each record's message through `mask` (it never drops a record)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()  # of every mock started in this process

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself
            return True
        masked = mask(text, *self.keys)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


def install(key: str | None) -> SecretLogFilter:
    """Put the one `SecretLogFilter` on each of the mock's loggers (once) and add `key`
    to what it masks: several mocks in one process (tests) each keep theirs masked."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    if key and len(key) >= MIN_SECRET_PART:  # a test's "k" would mangle every line;
        _FILTER.keys.add(key)  # short keys are still masked as headers and `Key …`
    return _FILTER


_FILTER = SecretLogFilter()
