"""One-line messages and masked secrets, used by every client and the mock."""

from __future__ import annotations

from app.core.text import REDACTED, one_line, redact


def test_one_line() -> None:
    assert one_line("a\n  b\tc ") == "a b c"
    assert one_line(ValueError("bad\r\nthing")) == "bad thing"
    assert one_line(ValueError()) == "ValueError"  # never empty for an exception
    assert one_line("") == ""


def test_redact_masks_every_secret_and_a_key_s_secret_half() -> None:
    key = "key-id:supersecretvalue"
    assert redact(f"Authorization: Key {key}", key) == f"Authorization: Key {REDACTED}"
    assert redact("echoed supersecretvalue", key) == f"echoed {REDACTED}"
    assert redact("token abc and def", "abc", None, "", "def") == "token *** and ***"
    assert redact("a:short", "x:short") == "a:short"  # short halves stay: too common
    assert redact("nothing here", None) == "nothing here"
    assert redact("", key) == ""
