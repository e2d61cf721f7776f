from __future__ import annotations

from types import SimpleNamespace

import pytest

from server_mock import auth
from server_mock.auth import TokenStore


def test_open_store_allows_everything() -> None:
    store = TokenStore(None)
    assert store.allows({}, {})
    assert store.key_ok(None)


def test_key_store_checks_key_header_and_tokens() -> None:
    store = TokenStore("k1")
    assert store.key_ok("Key k1") and store.key_ok("key k1")
    assert not store.key_ok("Key k2") and not store.key_ok("Bearer k1") and not store.key_ok(None)
    assert store.allows({"authorization": "Key k1"}, {})
    assert not store.allows({}, {"fal_jwt_token": "made-up"})
    token = store.issue(60)
    assert store.allows({}, {"fal_jwt_token": token})


def test_tokens_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the store's own clock, moved by hand: no sleep, and no load can reorder it."""
    now = [1000.0]
    monkeypatch.setattr(auth, "time", SimpleNamespace(monotonic=lambda: now[0]))
    store = TokenStore("k")
    token = store.issue(0.05)
    now[0] += 0.049
    assert store.token_ok(token)
    now[0] += 0.002
    assert not store.token_ok(token)
