"""Typing an app id in the connection form offers its routes (read from the real mock's
openapi.json through the discovery service on the qasync loop); picking one fills the
form, and the payload is then checked against the route's input schema as it is typed."""

from __future__ import annotations

import json

import pytest

from app.gui.connection_form import ConnectionForm
from app.gui.connection_settings import ConnectionSettings
from app.gui.route_picker import IDLE, app_root

WAIT_MS = 15_000


@pytest.fixture
def form(qtbot, qasync_loop, mock_base: str) -> ConnectionForm:
    form = ConnectionForm()
    qtbot.addWidget(form)
    form.route_picker.base_provider = lambda: mock_base
    return form


def test_app_root_ignores_the_route_path() -> None:
    assert app_root("mock/echo/realtime") == app_root("mock/echo") == "mock/echo"
    assert app_root("workflows/me/flow/x") == "workflows/me/flow"
    assert app_root("ws://127.0.0.1:9/mock/echo/ws") == "ws://127.0.0.1:9/mock/echo"
    assert app_root("mock") is None and app_root("ftp://h/a/b") is None


def test_typing_an_app_id_offers_its_routes_and_picking_fills_the_form(
    qtbot, form: ConnectionForm
) -> None:
    picker = form.route_picker
    qtbot.keyClicks(form.target, "mock/diffusion")
    qtbot.waitUntil(lambda: picker.routes.count() > 0, timeout=WAIT_MS)
    labels = [picker.routes.itemText(i) for i in range(picker.routes.count())]
    assert "/realtime  (realtime · unary)" in labels and "/stream  (sse)" in labels
    assert "route(s) to run" in picker.status()
    assert picker.pick("/realtime")
    assert form.transport.currentText() == "realtime"
    assert form.target.text() == "mock/diffusion/realtime"
    assert json.loads(form.payload.toPlainText()) == {"prompt": "a red fox in the snow"}
    assert form.valid and form.payload_error.text() == ""
    # the schema checks what is typed, shown but not blocking
    form.payload.setPlainText('{"prompt": "x", "width": 5000}')
    assert form.payload_error.text() == "schema: width: 5000 is above the maximum 2048"
    assert form.valid
    form.payload.setPlainText('{"width": 64}')
    assert form.payload_error.text() == "schema: the payload: field 'prompt' is required"
    form.payload.setPlainText("[1]")  # what the run refuses still blocks, as before
    assert not form.valid and "must be a JSON object" in form.payload_error.text()
    # another route of the same app: no new request, the form follows
    assert picker.pick("/stream")
    assert form.transport.currentText() == "sse" and form.target.text() == "mock/diffusion/stream"


def test_webrtc_and_buffering_routes_set_their_transport(qtbot, form: ConnectionForm) -> None:
    picker = form.route_picker
    qtbot.keyClicks(form.target, "mock/world")
    qtbot.waitUntil(lambda: picker.routes.count() > 0, timeout=WAIT_MS)
    assert picker.pick("/webrtc")
    assert form.transport.currentText() == "webrtc" and form.target.text() == "mock/world/webrtc"
    form.target.clear()
    qtbot.keyClicks(form.target, "mock/echo/realtime-batch")  # typed with its path: matched
    qtbot.waitUntil(lambda: picker.usage is not None, timeout=WAIT_MS)
    assert picker.usage is not None and picker.usage.route.max_batch_size == 4
    form.payload.setPlainText('{"sleep_ms": -1}')
    assert form.payload_error.text() == "schema: sleep_ms: -1 is below the minimum 0"


def test_an_unknown_app_says_why_in_one_line_and_a_stale_answer_is_dropped(
    qtbot, form: ConnectionForm
) -> None:
    picker = form.route_picker
    qtbot.keyClicks(form.target, "mock/nothing")
    qtbot.waitUntil(lambda: "HTTP 404" in picker.status(), timeout=WAIT_MS)
    assert "\n" not in picker.status() and picker.routes.count() == 0
    form.target.clear()
    qtbot.keyClicks(form.target, "mock/echo")
    form.target.clear()
    qtbot.keyClicks(form.target, "mock/yolo")  # typed on before the pause: only yolo is asked
    qtbot.waitUntil(lambda: picker.routes.count() > 0, timeout=WAIT_MS)
    assert picker.description is not None and picker.description.app.title == "mock/yolo"
    # two requests in flight: the older answer is dropped by the service
    answered: list[str] = []
    picker.service.sigDescribed.connect(lambda root, _d: answered.append(root))
    base = picker.base_provider()
    picker.service.describe("mock/echo", base, None)
    picker.service.describe("mock/diffusion", base, None)
    qtbot.waitUntil(lambda: answered == ["mock/diffusion"], timeout=WAIT_MS)
    assert picker.description.app.title == "mock/yolo"  # not the app in the form: ignored


def test_restoring_a_session_asks_nothing(qtbot, form: ConnectionForm) -> None:
    form.set_settings(ConnectionSettings(transport="realtime", target="mock/echo/realtime"))
    picker = form.route_picker
    # only typing starts the debounce timer that leads to a request: none is due
    assert not picker._timer.isActive() and picker._root is None
    assert picker.routes.count() == 0 and picker.status() == IDLE


def test_mock_ids_with_the_mock_off_say_so(qtbot, qasync_loop) -> None:
    form = ConnectionForm()
    qtbot.addWidget(form)
    qtbot.keyClicks(form.target, "mock/echo")
    qtbot.waitUntil(lambda: "mock server is off" in form.route_picker.status(), timeout=5000)
