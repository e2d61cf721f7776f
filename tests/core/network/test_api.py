"""The Toxiproxy-style HTTP API: the documented subset, its status codes and errors."""

from __future__ import annotations

import httpx

from app.core.network.api import create_api
from app.core.network.toxicset import ToxicSet


def client(toxics: ToxicSet) -> httpx.AsyncClient:
    app = create_api({"p": lambda: {"name": "p", "listen": "127.0.0.1:1"}}, {"p": toxics})
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


async def test_toxic_endpoints_as_toxiproxy_names_them() -> None:
    toxics = ToxicSet()
    async with client(toxics) as c:
        assert (await c.get("/proxies/p/toxics")).json() == []
        made = await c.post(
            "/proxies/p/toxics",
            json={"type": "latency", "stream": "upstream", "attributes": {"latency": 40}},
        )
        assert made.status_code == 200
        assert made.json() == {
            "name": "latency_upstream",
            "type": "latency",
            "stream": "upstream",
            "toxicity": 1.0,
            "attributes": {"latency": 40, "jitter": 0},
        }
        again = await c.post("/proxies/p/toxics", json={"type": "latency", "stream": "upstream"})
        assert again.status_code == 409 and "already exists" in again.json()["error"]
        upd = await c.post("/proxies/p/toxics/latency_upstream", json={"attributes": {"jitter": 5}})
        assert upd.json()["attributes"] == {"latency": 40, "jitter": 5}
        assert (await c.get("/proxies/p/toxics/latency_upstream")).json()["attributes"][
            "jitter"
        ] == 5
        proxy = (await c.get("/proxies/p")).json()
        assert proxy["name"] == "p" and len(proxy["toxics"]) == 1
        assert list((await c.get("/proxies")).json()) == ["p"]
        assert (await c.delete("/proxies/p/toxics/latency_upstream")).status_code == 204
        assert (await c.delete("/proxies/p/toxics/latency_upstream")).status_code == 404
        assert toxics.toxics == []
        await c.post("/proxies/p/toxics", json={"type": "timeout"})
        assert (await c.post("/reset")).status_code == 204 and toxics.toxics == []
        assert (await c.get("/version")).text.startswith("rtprobe ")


async def test_bad_requests_get_one_line_naming_the_field() -> None:
    async with client(ToxicSet()) as c:
        for body, status, message in [
            (b"{nope", 400, "request body is not valid JSON"),
            (b'{"type": "latency", "attributes": {"latncy": 1}}', 400, "no attribute 'latncy'"),
            (b'{"type": "bandwidth", "attributes": {"rate": -5}}', 400, "rate=-5 must be 0.."),
            (b'{"type": "warp"}', 400, "unknown toxic type 'warp'"),
            (b"x" * 70_000, 400, "over 65536 bytes"),
        ]:
            r = await c.post("/proxies/p/toxics", content=body)
            assert r.status_code == status, r.text
            assert message in r.json()["error"] and "\n" not in r.json()["error"]
        assert (await c.get("/proxies/other/toxics")).status_code == 404
        assert (await c.post("/proxies/p/toxics/none", json={})).status_code == 404
