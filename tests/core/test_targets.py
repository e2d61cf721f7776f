from __future__ import annotations

import pytest

from app.core.errors import TargetError
from app.core.targets import resolve


@pytest.mark.parametrize(
    ("transport", "target", "url"),
    [
        ("realtime", "fal-ai/some-app", "wss://fal.run/fal-ai/some-app/realtime"),
        ("realtime", "fal-ai/some-app/custom", "wss://fal.run/fal-ai/some-app/custom"),
        ("ws", "mock/echo/ws", "wss://fal.run/mock/echo/ws"),
        ("ws", "mock/echo", "wss://fal.run/mock/echo"),
        ("sse", "fal-ai/flux", "https://fal.run/fal-ai/flux/stream"),
        ("webrtc", "owner/yolo", "wss://fal.run/owner/yolo/webrtc"),
        ("realtime", "workflows/me/flow", "wss://fal.run/workflows/me/flow/realtime"),
        ("realtime", "123-legacy", "wss://fal.run/123/legacy/realtime"),
    ],
)
def test_app_ids_follow_fal_client(transport: str, target: str, url: str) -> None:
    t = resolve(transport, target)
    assert t.url == url
    assert t.token_url == "https://rest.fal.ai/tokens/"


def test_base_url_points_everything_at_a_mock() -> None:
    t = resolve("realtime", "mock/echo", base_url="http://127.0.0.1:8765")
    assert t.url == "ws://127.0.0.1:8765/mock/echo/realtime"
    assert t.token_url == "http://127.0.0.1:8765/tokens/"
    assert t.alias == "echo"
    assert resolve("sse", "mock/echo", base_url="http://127.0.0.1:1/").url == (
        "http://127.0.0.1:1/mock/echo/stream"
    )


def test_host_override() -> None:
    assert resolve("realtime", "a/b", host="example.test").url == "wss://example.test/a/b/realtime"


@pytest.mark.parametrize(
    ("transport", "url", "expected"),
    [
        (
            "realtime",
            "ws://127.0.0.1:9/mock/echo/realtime?x=1",
            "ws://127.0.0.1:9/mock/echo/realtime?x=1",
        ),
        ("realtime", "http://127.0.0.1:9/p", "ws://127.0.0.1:9/p"),
        ("sse", "wss://h/p/stream", "https://h/p/stream"),
        ("sse", "http://h", "http://h/"),
    ],
)
def test_urls_are_kept_with_scheme_fitted(transport: str, url: str, expected: str) -> None:
    t = resolve(transport, url)
    assert t.url == expected and t.alias is None and t.token_url is None


def test_display_hides_the_query() -> None:
    t = resolve("realtime", "ws://h/p?fal_jwt_token=secret")
    assert t.display == "ws://h/p"


@pytest.mark.parametrize(
    ("transport", "target", "message"),
    [
        ("carrier-pigeon", "a/b", "unknown transport 'carrier-pigeon'"),
        ("realtime", "   ", "the target is empty"),
        ("realtime", "justone", "must look like owner/alias"),
        ("realtime", "ftp://h/x", "scheme 'ftp' is not ws"),
        ("realtime", "ws:///nohost", "has no host"),
        ("realtime", "ws://h:99999/x", "invalid port"),
        ("realtime", "owner/al ias", "invalid part 'al ias'"),
        ("realtime", "workflows/only", "must be followed by owner/alias"),
    ],
)
def test_bad_targets_get_one_clear_line(transport: str, target: str, message: str) -> None:
    with pytest.raises(TargetError) as info:
        resolve(transport, target)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
