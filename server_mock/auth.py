"""fal-style auth: `Authorization: Key …` and short-lived tokens from `POST /tokens/`.

Off unless the server was given a key; then `/tokens/` demands the key and
WebSocket handshakes demand the key header or a token this server issued.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from time import time as wall_time  # JWT claims are wall-clock seconds

DEFAULT_TOKEN_EXPIRATION_S = 120
MAX_TOKEN_EXPIRATION_S = 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenStore:
    """Tokens are JWT-shaped (`header.claims.signature`, claims `iat`/`exp` in wall-clock
    seconds) as fal's are, so a client can read their lifetime; the signature is random
    and only this store knows the token. `ttl_s` caps every token's lifetime (the
    `--token-ttl` test option); `issued` counts tokens handed out."""

    def __init__(self, key: str | None, ttl_s: float | None = None) -> None:
        self.key = key
        self.ttl_s = ttl_s
        self.issued = 0
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
        if self.ttl_s is not None:
            expiration_s = min(expiration_s, self.ttl_s)
        now = wall_time()
        header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        claims = _b64(json.dumps({"iat": now, "exp": now + expiration_s, "iss": "mock"}).encode())
        token = f"{header}.{claims}.{secrets.token_urlsafe(24)}"
        self._tokens[token] = time.monotonic() + expiration_s
        self.issued += 1
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
