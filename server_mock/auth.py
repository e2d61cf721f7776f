"""fal-style auth: `Authorization: Key …` and short-lived tokens from `POST /tokens/`.

Off unless the server was given a key; then `/tokens/` demands the key and
WebSocket handshakes demand the key header or a token this server issued.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

DEFAULT_TOKEN_EXPIRATION_S = 120
MAX_TOKEN_EXPIRATION_S = 24 * 3600


class TokenStore:
    def __init__(self, key: str | None) -> None:
        self.key = key
        self._tokens: dict[str, float] = {}  # token -> expiry (monotonic seconds)

    @property
    def enabled(self) -> bool:
        return self.key is not None

    def key_ok(self, authorization: str | None) -> bool:
        if not self.enabled:
            return True
        if not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "key" and secrets.compare_digest(value.strip(), self.key or "")

    def issue(self, expiration_s: float = DEFAULT_TOKEN_EXPIRATION_S) -> str:
        self._purge()
        token = "mock." + secrets.token_urlsafe(24)
        self._tokens[token] = time.monotonic() + expiration_s
        return token

    def token_ok(self, token: str | None) -> bool:
        if not token:
            return False
        expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.monotonic()

    def allows(self, headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
        """Whether a handshake or request carries acceptable credentials."""
        if not self.enabled:
            return True
        return self.key_ok(headers.get("authorization")) or self.token_ok(
            query.get("fal_jwt_token")
        )

    def _purge(self) -> None:
        now = time.monotonic()
        for token in [t for t, exp in self._tokens.items() if exp <= now]:
            del self._tokens[token]
