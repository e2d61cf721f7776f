"""The registry: every transport has a session, and a new one needs only its row."""

from __future__ import annotations

import asyncio
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import targets
from app.core.config import RunConfig
from app.core.engine.run import RunControl, run
from app.core.errors import ClosedError, TargetError
from app.core.events import Event, RunFinished, Sample
from app.core.sessions import registry
from app.core.sessions.base import Emit
from app.core.sessions.messages import MessageSession
from app.core.targets import Target
from tests.core.sessions.memory import MemoryServer


def test_every_transport_has_a_session_with_the_shared_shape() -> None:
    assert set(registry.TRANSPORTS) == set(targets.TRANSPORTS)
    for name, entry in registry.TRANSPORTS.items():
        assert entry.name == name
        factory = entry.factory()
        params = list(inspect.signature(factory).parameters)
        assert params[:4] == ["index", "config", "emit", "stop"], name
        cls = factory if inspect.isclass(factory) else factory.__self__  # a classmethod
        assert inspect.iscoroutinefunction(cls.run) and inspect.iscoroutinefunction(cls.act)


def test_unknown_transport_is_a_one_line_target_error() -> None:
    with pytest.raises(TargetError, match=r"unknown transport 'carrier-pigeon' \(one of "):
        registry.transport("carrier-pigeon")


def test_importing_the_registry_loads_no_session_module() -> None:
    code = (
        "import sys, app.core.sessions.registry;"
        "assert 'aiortc' not in sys.modules;"
        "assert not [m for m in sys.modules if m.startswith('app.core.sessions.')"
        " and m.rsplit('.', 1)[1] in ('realtime', 'ws', 'sse', 'webrtc')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


class MemorySession(MessageSession):
    """A fifth transport, for the test: a message session over the in-memory client."""

    servers: list[MemoryServer] = []

    def __init__(self, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event) -> None:
        server = MemoryServer()
        self.servers.append(server)
        super().__init__(index, config, emit, stop, server.connect)


@pytest.fixture
def memory_transport(monkeypatch: pytest.MonkeyPatch) -> RunConfig:
    MemorySession.servers = []
    entry = registry.Transport("memory", MemorySession, "in-memory")
    monkeypatch.setitem(registry.TRANSPORTS, "memory", entry)
    target = Target("memory", "ws://127.0.0.1:9/none")  # a name only the registry knows
    return RunConfig(target=target, count=7, concurrency=2)


async def test_a_new_transport_needs_only_its_row(memory_transport: RunConfig) -> None:
    events: list[Event] = []
    await run(memory_transport, events.append)
    samples = [e for e in events if isinstance(e, Sample)]
    assert sorted((s.session, s.seq) for s in samples) == [(0, q) for q in range(4)] + [
        (1, q) for q in range(3)
    ]
    sent = sum(len(c.sent) for server in MemorySession.servers for c in server.connections)
    assert sent == len(samples) == 7 and all(s.outcome == "received" for s in samples)
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.reason == "done" and not finished.error


async def test_run_control_reaches_every_session(memory_transport: RunConfig) -> None:
    control = RunControl()
    with pytest.raises(ClosedError, match="no connected session"):
        await control.act("action", "w u")  # before the run has sessions
    errors: list[BaseException] = []

    def emit(event: Event) -> None:
        if isinstance(event, Sample) and event.seq == 1 and not errors:
            task = asyncio.ensure_future(control.act("action", "w u"))
            task.add_done_callback(lambda t: errors.append(t.exception() or Exception()))
            control.stop()

    config = RunConfig(target=memory_transport.target, count=None, duration_s=30)
    events: list[Event] = []
    await run(config, lambda e: (events.append(e), emit(e)), control)
    assert str(errors[0]) == "cannot send action: memory sessions take no actions"
    assert isinstance(events[-1], RunFinished) and events[-1].reason == "stopped"


# `transport == "sse"`, `s["transport"] != "webrtc"`, `transport in ("realtime", "ws")`
NAME_CHECK = re.compile(r"""(?<!for )transport"?\]?\s*(==|!=|\bin\b|\bnot in\b)\s*[("'\[]""")
NOT_YET: set[str] = set()  # files allowed to branch on a name: none


def test_nothing_outside_the_registry_branches_on_a_transport_name() -> None:
    root = Path(__file__).resolve().parents[3]
    offenders = sorted(
        f"{path.relative_to(root)}:{n}"
        for path in (root / "app").rglob("*.py")
        if path.name != "registry.py" and str(path.relative_to(root)) not in NOT_YET
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if NAME_CHECK.search(line)
    )
    assert offenders == []
