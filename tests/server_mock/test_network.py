"""The mock's network settings: `?network=`, `/_mock/network`, bad input refused in one line."""

from __future__ import annotations

import httpx
import pytest
import websockets

from app.core.network.datagram import NetworkSetting
from app.core.network.profile import parse_profile
from app.core.network.toxicset import ToxicSet
from server_mock import network


async def test_bad_network_query_refuses_the_handshake(ws_base: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(f"{ws_base}/mock/yolo/webrtc?network=delay%3Dfast"):
            pass
    assert info.value.response.status_code == 400
    assert b"network delay: 'fast' is not a number" in info.value.response.body


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "Expecting value"),
        (b'{"spec": 5}', "body must be"),
        (b"[1, 2]", "body must be"),
        (b'{"spec": "' + b"x" * 5000 + b'"}', "longer than"),
        (b'{"spec": "loss=200%"}', "loss"),
    ],
)
def test_bad_network_bodies_are_one_line_400s(start_mock, body: bytes, says: str) -> None:
    with start_mock() as base:
        r = httpx.put(f"{base}/_mock/network", content=body)
        assert r.status_code == 400, r.text
        detail = r.json()["detail"]
        assert says in detail and "\n" not in detail and len(detail) <= 300
        assert httpx.get(f"{base}/_mock/network").json()["spec"] == "none"  # unchanged


def test_network_needs_the_key_when_the_mock_has_one(start_mock) -> None:
    with start_mock(key="k") as base:
        assert httpx.put(f"{base}/_mock/network", json={"spec": "4g"}).status_code == 401
        ok = httpx.put(
            f"{base}/_mock/network", json={"spec": "4g"}, headers={"Authorization": "Key k"}
        )
        assert ok.status_code == 200 and ok.json()["name"] == "4g"


def test_profile_toxics_replace_only_their_own() -> None:
    from app.core.network.spec import parse_spec

    toxics = ToxicSet(parse_spec("slicer:average_size=64"))
    setting = network.server_setting("4g", toxics)
    assert setting.profile == parse_profile("4g")
    assert {t.name for t in toxics.toxics} == {
        "slicer_downstream",
        "net_latency_upstream",
        "net_bandwidth_upstream",
        "net_latency_downstream",
        "net_bandwidth_downstream",
    }
    network.apply_toxics(parse_profile("none"), toxics)
    assert [t.name for t in toxics.toxics] == ["slicer_downstream"]
    assert isinstance(setting, NetworkSetting)
