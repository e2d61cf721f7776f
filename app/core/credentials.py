"""Where the fal key comes from: the `FAL_KEY` environment variable or the OS keyring.

Session files record only the *source* ("env", "keyring", "none"), never the key, so
a saved session can be shared. `keyring` is installed with rtprobe but imported lazily,
and a machine may have no usable backend (a headless box, CI): any failure (missing
package, no backend, a locked or broken one) reads as "no key" rather than an
exception, because a missing keyring must never stop a run.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from app.core.text import REDACTED, redact  # re-exported: masking belongs to text

KeySource = Literal["env", "keyring", "none"]
KEY_SOURCES: tuple[KeySource, ...] = ("env", "keyring", "none")
ENV_VAR = "FAL_KEY"
KEYRING_SERVICE = "rtprobe"
KEYRING_USER = "FAL_KEY"


def _keyring() -> Any | None:
    """The `keyring` module when it is installed and has a real backend, else None."""
    try:
        # keyring ships no type hints, and may be absent: either way the module is Any here
        import keyring  # type: ignore[import-not-found,import-untyped,unused-ignore]

        backend = keyring.get_keyring()
        # fail.Keyring (priority 0) and null.Keyring (-1) are keyring's "nothing here".
        if float(getattr(backend, "priority", 0)) <= 0:
            return None
    except Exception:
        return None
    return keyring


def keyring_available() -> bool:
    """Whether `store_key` can work here (for enabling a "remember key" option)."""
    return _keyring() is not None


def load_key(source: str) -> str | None:
    """The key from `source` ("env", "keyring" or "none"); None when there is none."""
    if source == "env":
        return os.environ.get(ENV_VAR, "").strip() or None
    if source == "keyring":
        keyring = _keyring()
        if keyring is None:
            return None
        try:
            value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        except Exception:
            return None
        return (value.strip() or None) if isinstance(value, str) else None
    return None


def store_key(key: str) -> bool:
    """Remember `key` in the OS keyring; False when no usable backend took it."""
    keyring = _keyring()
    if keyring is None or not key.strip():
        return False
    try:
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key.strip())
    except Exception:
        return False
    return True


def forget_key() -> bool:
    """Remove the stored key; True when the keyring holds no rtprobe key afterwards."""
    keyring = _keyring()
    if keyring is None:
        return False
    try:
        keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception:
        # PasswordDeleteError when nothing was stored: still "no key" afterwards.
        try:
            return keyring.get_password(KEYRING_SERVICE, KEYRING_USER) is None
        except Exception:
            return False
    return True


__all__ = [
    "ENV_VAR",
    "KEY_SOURCES",
    "REDACTED",
    "KeySource",
    "forget_key",
    "keyring_available",
    "load_key",
    "redact",
    "store_key",
]
