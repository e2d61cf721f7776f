"""Session files: round trip, no secrets on disk, one-line errors; and the key sources."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from pathlib import Path

import pytest

from app.core import credentials
from app.core.credentials import forget_key, keyring_available, load_key, redact, store_key
from app.core.sessionfile import (
    PAYLOAD_FORMATS,
    ConnectionSpec,
    MockSpec,
    Session,
    SessionFileError,
    dumps,
    is_secret_header,
    load,
    loads,
    save,
)
from app.core.transports.ws import PayloadFormat
from server_mock.config import FaultConfig


def sample() -> Session:
    return Session(
        connections=[
            ConnectionSpec(
                name="echo",
                transport="realtime",
                target="mock/echo",
                payload='{"prompt": "hi", ',  # invalid JSON, kept as typed
                max_buffering=4,
                headers={"X-Trace": "on"},
                rate=20.0,
                count=500,
                duration=None,
                concurrency=4,
                use_jwt=False,
                auth_source="keyring",
                assertions=["p99<50ms", "errors==0"],
            ),
            ConnectionSpec(
                name="diffusion",
                transport="sse",
                target="mock/diffusion",
                payload="{}",
                duration=30.0,
            ),
        ],
        mock=MockSpec(enabled=True, port=8123, faults={"latency_ms": 20.0, "seed": 7}),
        settings={"theme": "light", "plots": {"window_s": 30}},
    )


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.rtprobe.json"
    save(path, sample())
    assert load(path) == sample()
    doc = json.loads(path.read_text())
    assert doc["rtprobe_session"] == 1
    assert doc["connections"][0]["payload"] == '{"prompt": "hi", '


def test_secrets_are_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "envkeyid:envsecret123456")
    session = sample()
    session.connections[0].headers = {
        "Authorization": "Key sk-secret",
        "X-Api-Key": "sk-secret",
        "Cookie": "sid=sk-secret",
        "X-Auth-Token": "sk-secret",
        "X-Trace": "on",
    }
    session.connections[1].payload = '{"note": "envkeyid:envsecret123456"}'  # pasted by mistake
    path = tmp_path / "s.json"
    save(path, session)
    text = path.read_text()
    assert "sk-secret" not in text
    assert "envsecret123456" not in text
    loaded = load(path)
    headers = loaded.connections[0].headers
    assert headers["Authorization"] == "" and headers["X-Trace"] == "on"
    assert sorted(loaded.connections[0].redacted_headers) == sorted(
        ["Authorization", "X-Api-Key", "Cookie", "X-Auth-Token"]
    )
    assert loaded.connections[0].auth_source == "keyring"  # the source, not the key


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Authorization", True),
        ("proxy-authorization", True),
        ("Cookie", True),
        ("x-api-key", True),
        ("X-Fal-Token", True),
        ("client_secret", True),
        ("X-Trace", False),
        ("Content-Type", False),
    ],
)
def test_secret_header_names(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret


def test_unknown_fields_are_ignored_and_missing_ones_default() -> None:
    text = json.dumps(
        {
            "rtprobe_session": 1,
            "future": {"anything": [1, 2]},
            "connections": [{"target": "mock/echo", "colour": "red"}],
            "mock": {"faults": {"latency_ms": 5, "new_fault": 3}, "extra": True},
        }
    )
    session = loads(text)
    assert session.connections == [ConnectionSpec(target="mock/echo")]
    assert session.mock == MockSpec(faults={"latency_ms": 5.0})
    assert session.settings == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "s.json: not JSON (Expecting property name"),
        ("[1, 2]", 's.json: not an rtprobe session file (no "rtprobe_session")'),
        ('{"rtprobe_session": 2}', "s.json: session file version 2 is newer"),
        ('{"rtprobe_session": "1"}', "s.json: rtprobe_session must be a version number"),
        (
            '{"rtprobe_session": 1, "connections": {}}',
            "s.json: connections must be a list, not an object",
        ),
        (
            '{"rtprobe_session": 1, "connections": [{}, {"rate": "fast"}]}',
            "s.json: connections[1].rate must be a number, not a string",
        ),
        (
            '{"rtprobe_session": 1, "connections": [{"concurrency": 0}]}',
            "s.json: connections[0].concurrency must be at least 1, not 0",
        ),
        (
            '{"rtprobe_session": 1, "connections": [{"use_jwt": 1}]}',
            "s.json: connections[0].use_jwt must be true or false, not a number",
        ),
        (
            '{"rtprobe_session": 1, "connections": [{"transport": "carrier-pigeon"}]}',
            "s.json: connections[0].transport is 'carrier-pigeon': use one of realtime",
        ),
        (
            '{"rtprobe_session": 1, "connections": [{"headers": {"X-A": 1}}]}',
            "s.json: connections[0].headers.X-A must be a string, not a number",
        ),
        (
            '{"rtprobe_session": 1, "connections": [{"auth_source": "file"}]}',
            "s.json: connections[0].auth_source is 'file': use one of env, keyring, none",
        ),
        (
            '{"rtprobe_session": 1, "mock": {"faults": {"drop": null}}}',
            "s.json: mock.faults.drop must be a number, not null",
        ),
        ('{"rtprobe_session": 1, "mock": []}', "s.json: mock must be an object, not a list"),
        ('{"rtprobe_session": 1, "settings": 3}', "s.json: settings must be an object"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(SessionFileError) as info:
        load(path)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="no such file"):
        load(tmp_path / "missing.json")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SessionFileError, match=r"b\.json: not a text \(UTF-8\) file"):
        load(binary)
    with pytest.raises(SessionFileError, match="cannot write"):
        save(tmp_path / "no-such-dir" / "s.json", sample())


def test_assertions_keep_only_expressions_and_old_files_have_none() -> None:
    spec = ConnectionSpec(assertions=["p99 < 50ms", "fal-secret-key-123", "errors==0"])
    text = dumps(Session(connections=[spec]))
    assert "fal-secret-key-123" not in text
    assert loads(text).connections[0].assertions == ["p99 < 50ms", "errors==0"]
    old = json.dumps({"rtprobe_session": 1, "connections": [{"target": "mock/echo"}]})
    assert loads(old).connections[0].assertions == []
    with pytest.raises(SessionFileError, match=r"connections\[0\]\.assertions\[0\]"):
        loads(json.dumps({"rtprobe_session": 1, "connections": [{"assertions": [5]}]}))


def test_nulls_and_optional_numbers() -> None:
    text = dumps(Session(connections=[ConnectionSpec(count=None, duration=None)]))
    assert loads(text).connections[0].count is None
    assert loads(text).connections[0].duration is None


def test_spelled_out_names_match_their_sources() -> None:
    assert set(PAYLOAD_FORMATS) == set(typing.get_args(PayloadFormat))
    every_fault = dataclasses.asdict(FaultConfig())  # the mock's faults, all of them
    assert loads(dumps(Session(mock=MockSpec(faults=every_fault)))).mock.faults == every_fault


# -- credentials -------------------------------------------------------------------------


def test_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "  id:secret  ")
    assert load_key("env") == "id:secret"
    assert load_key("none") is None
    monkeypatch.delenv("FAL_KEY")
    assert load_key("env") is None


class FakeKeyring(types.ModuleType):
    """A stand-in `keyring` module: a dict store, or one whose backend is unusable."""

    def __init__(self, priority: float = 1.0, broken: bool = False) -> None:
        super().__init__("keyring")
        self.store: dict[tuple[str, str], str] = {}
        self.backend = types.SimpleNamespace(priority=priority)
        self.broken = broken

    def get_keyring(self) -> object:
        return self.backend

    def get_password(self, service: str, user: str) -> str | None:
        if self.broken:
            raise RuntimeError("locked")
        return self.store.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        if self.broken:
            raise RuntimeError("locked")
        self.store[(service, user)] = value

    def delete_password(self, service: str, user: str) -> None:
        if (service, user) not in self.store:
            raise KeyError("nothing stored")
        del self.store[(service, user)]


def test_keyring_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKeyring()
    monkeypatch.setitem(sys.modules, "keyring", fake)
    assert keyring_available()
    assert load_key("keyring") is None
    assert store_key("id:secret")
    assert load_key("keyring") == "id:secret"
    assert forget_key() and load_key("keyring") is None
    assert forget_key()  # nothing stored: still "no key afterwards"


@pytest.mark.parametrize("fake", [FakeKeyring(priority=0), FakeKeyring(broken=True), None])
def test_no_usable_keyring_is_none_not_an_exception(
    monkeypatch: pytest.MonkeyPatch, fake: FakeKeyring | None
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", fake)  # None: "not installed"
    assert load_key("keyring") is None
    assert not store_key("id:secret")
    if fake is None or fake.backend.priority <= 0:
        assert not keyring_available()
        assert not forget_key()


def test_redact() -> None:
    key = "key-id-123:supersecretvalue"
    assert redact(f"Authorization: Key {key}", key) == "Authorization: Key ***"
    assert redact("echoed supersecretvalue", key) == "echoed ***"
    assert redact("nothing here", None) == "nothing here"
    assert credentials.REDACTED == "***"


def test_jitter_release_is_a_connection_key_checked_against_its_choices(tmp_path: Path) -> None:
    session = Session(
        connections=[
            ConnectionSpec(
                name="v", transport="webrtc", target="mock/yolo", jitter_release="next-frame"
            )
        ]
    )
    path = tmp_path / "v.rtprobe.json"
    save(path, session)
    assert json.loads(path.read_text())["connections"][0]["jitter_release"] == "next-frame"
    assert load(path).connections[0].jitter_release == "next-frame"
    doc = json.loads(path.read_text())
    del doc["connections"][0]["jitter_release"]  # older files: the default
    path.write_text(json.dumps(doc))
    assert load(path).connections[0].jitter_release == "marker"
    doc["connections"][0]["jitter_release"] = "soon"
    path.write_text(json.dumps(doc))
    with pytest.raises(SessionFileError) as info:
        load(path)
    assert "jitter_release" in str(info.value) and "marker, next-frame" in str(info.value)


def test_record_pixels_round_trips_and_older_files_have_none(tmp_path: Path) -> None:
    spec = ConnectionSpec(name="v", transport="webrtc", target="mock/yolo", record_pixels=True)
    path = tmp_path / "p.rtprobe.json"
    save(path, Session(connections=[spec]))
    assert load(path).connections[0].record_pixels is True
    doc = json.loads(path.read_text())
    del doc["connections"][0]["record_pixels"]
    path.write_text(json.dumps(doc))
    assert load(path).connections[0].record_pixels is False
    doc["connections"][0]["record_pixels"] = "yes"
    path.write_text(json.dumps(doc))
    with pytest.raises(SessionFileError, match="record_pixels"):
        load(path)


def test_network_and_its_schedule_round_trip(tmp_path: Path) -> None:
    session = Session(
        connections=[
            ConnectionSpec(
                name="v",
                transport="webrtc",
                target="mock/yolo",
                network="4g,up.loss=2%",
                network_at=["5s:3g", "12s:mock:none", "1500ms:delay=100,jitter=20"],
            ),
            ConnectionSpec(name="e", transport="realtime", target="mock/echo", network="edge"),
        ]
    )
    path = tmp_path / "n.rtprobe.json"
    save(path, session)
    doc = json.loads(path.read_text())
    assert doc["connections"][0]["network"] == "4g,up.loss=2%"
    assert doc["connections"][0]["network_at"] == [
        "5s:3g",
        "12s:mock:none",
        "1500ms:delay=100,jitter=20",
    ]
    assert load(path) == session
    del doc["connections"][0]["network_at"]  # older files: no schedule
    assert loads(json.dumps(doc)).connections[0].network_at == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"network": "wifi7"},
            "s.json: connections[0].network: unknown network preset 'wifi7' (known: none, 3g",
        ),
        (
            {"network": "delay=fast"},
            "s.json: connections[0].network: network delay: 'fast' is not a number",
        ),
        (
            {"network_at": ["5s:3g", "soon:3g"]},
            "s.json: connections[0].network_at[1]: network-at time 'soon' is not a number",
        ),
        (
            {"network_at": ["5s:moonlink"]},
            "s.json: connections[0].network_at[0]: unknown network preset 'moonlink'",
        ),
        (
            {"network_at": ["garbage"]},
            "s.json: connections[0].network_at[0]: network-at 'garbage': write TIME:PROFILE",
        ),
        ({"network_at": "5s:3g"}, "s.json: connections[0].network_at must be a list, not a string"),
        (
            {"network_at": ["1s:3g"] * 65},
            "s.json: connections[0].network_at has 65 changes: at most 64",
        ),
    ],
)
def test_a_bad_network_or_schedule_is_one_line_naming_the_field(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"rtprobe_session": 1, "connections": [entry]}))
    with pytest.raises(SessionFileError) as info:
        load(path)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)
