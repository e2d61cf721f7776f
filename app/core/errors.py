"""One exception tree for everything rtprobe's engine and transports raise.

    ProbeError                      every failure a user can see, as one line
    ├── TargetError                 the target or an option is wrong: fix the input
    ├── ConnectError                refused, DNS, TLS, handshake status: check the server
    │   └── AuthError               401/403 or a rejected key/token: fix the credentials
    ├── ProtocolError               the server sent something the protocol does not allow
    ├── AppError                    the app reported an error (x-fal-error, SSE {"error"})
    ├── ClosedError                 the connection ended under us (CONNECTION_CLOSED)
    └── ProbeTimeout                a connect, reply or frame did not arrive in time

Transports translate websockets/httpx/aiortc exceptions into these at their
boundary, so nothing foreign leaks to the GUI or CLI.
"""

from __future__ import annotations


class ProbeError(Exception):
    """Base class; `str(exc)` is a complete one-line message for the user."""


class TargetError(ProbeError):
    pass


class ConnectError(ProbeError):
    pass


class AuthError(ConnectError):
    pass


class ProtocolError(ProbeError):
    pass


class AppError(ProbeError):
    def __init__(self, code: str, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"app error {code}: {reason}" if reason else f"app error {code}")


class ClosedError(ProbeError):
    def __init__(self, message: str, code: int | None = None) -> None:
        self.code = code
        super().__init__(message)


class ProbeTimeout(ProbeError):
    pass


DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # generous: a 4K frame as PNG is ~25 MB
MAX_MESSAGE_FLAG = "--max-message-bytes"  # the setting that raises the caps below


class TooLargeError(ClosedError, ProtocolError):
    """The server sent a message (WebSocket) or a line/event (SSE) over the run's size cap.

    Both a protocol violation (our limit) and, on a WebSocket, the end of the connection
    (we closed it with 1009), so the session's reconnect policy applies as to any close.
    """

    def __init__(self, what: str, limit: int, detail: str = "", code: int | None = 1009) -> None:
        self.limit = limit
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"{what} over the {limit:,}-byte limit{extra}; raise it with {MAX_MESSAGE_FLAG}",
            code,
        )
