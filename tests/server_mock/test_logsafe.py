"""The mock's logs mask credentials: headers, query tokens, `Key …` anywhere, its key."""

from __future__ import annotations

import logging

import pytest

from server_mock import logsafe

KEY = "mock-id:mocksecret0123456"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (f"< authorization: Key {KEY}", "< authorization: ***"),
        ("< x-api-token: abc123456789", "< x-api-token: ***"),
        ("< user-agent: Python/3.11", "< user-agent: Python/3.11"),
        (
            '127.0.0.1:1 - "WebSocket /realtime?fal_jwt_token=eyJ.abc.def&x=1" 403',
            '127.0.0.1:1 - "WebSocket /realtime?fal_jwt_token=***&x=1" 403',
        ),
        ("refused Bearer abcdefgh.ijk", "refused Bearer ***"),
        (f"bad key {KEY}", "bad key ***"),
    ],
)
def test_mask(line: str, kept: str) -> None:
    assert logsafe.mask(line, KEY) == kept


def test_the_installed_filter_rewrites_records_of_the_mock_loggers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logsafe.install(KEY)
    logsafe.install(KEY)  # idempotent: one filter per logger
    logger = logging.getLogger("uvicorn.error")
    assert sum(isinstance(f, logsafe.SecretLogFilter) for f in logger.filters) == 1
    with caplog.at_level(logging.DEBUG, logger="uvicorn.error"):
        logger.debug("%s %s: %s", "<", "authorization", f"Key {KEY}")
        logger.info("key was %s", KEY)
    text = caplog.text
    assert "mocksecret" not in text
    assert "< authorization: ***" in text and "key was ***" in text
