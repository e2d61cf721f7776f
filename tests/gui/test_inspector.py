"""The message log (model, filter) and the inspector widget, fed `Message` events
directly (no engine, no sockets)."""

from __future__ import annotations

import base64

import pytest
from PySide6.QtCore import Qt

from app.core.codecs.realtime import FalError
from app.core.events import Message
from app.gui.inspector import MessageInspector
from app.gui.message_format import HEX_BYTES, TREE_NODES, find_image, summarize
from app.gui.message_log import Column, MessageFilterProxy, MessageLogModel
from server_mock.images import encode_png, gradient_image

MS = 1_000_000


def msg(
    i: int,
    data: object = None,
    *,
    kind: str = "output",
    direction: str = "in",
    size: int = 10,
    seq: int | None = None,
) -> Message:
    return Message(0, direction, 1_000 * MS + i * MS, kind, size, data, seq)  # type: ignore[arg-type]


def cell(model: MessageLogModel | MessageFilterProxy, row: int, column: int, role=None) -> object:
    index = model.index(row, column)
    return model.data(index) if role is None else model.data(index, role)


@pytest.fixture
def inspector(qtbot) -> MessageInspector:
    widget = MessageInspector()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    return widget


def png_bytes() -> bytes:
    return encode_png(gradient_image(32, 24, seed=1))


# -- the log model -----------------------------------------------------------------------


def test_rows_appear_with_columns(qtbot) -> None:
    model = MessageLogModel()
    model.add(
        [
            msg(0, {"prompt": "hi"}, kind="input", direction="out", size=17, seq=0),
            msg(2, {"out": "hi", "seq": 0}, size=21, seq=0),
        ]
    )
    assert model.rowCount() == 2
    assert [cell(model, 1, c) for c in Column] == [
        "2",
        "2.000",
        "↓ in",
        "output",
        "21",
        "0",
        '{out: "hi", seq: 0}',
    ]
    assert cell(model, 0, Column.DIRECTION) == "↑ out"
    assert cell(model, 0, Column.TIME) == "0.000"


def test_cap_evicts_oldest_and_counts(qtbot) -> None:
    model = MessageLogModel(capacity=100)
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    for batch in range(5):
        model.add([msg(batch * 30 + i, {"n": batch * 30 + i}) for i in range(30)])
        assert model.rowCount() <= 100
    assert model.rowCount() == 100
    assert model.evicted == 50 and model.total == 150
    assert cell(model, 0, Column.INDEX) == "51"  # the running index survives eviction
    assert cell(model, 99, Column.INDEX) == "150"
    assert removed == [(0, 19), (0, 29)]  # one removal per batch
    model.add([msg(1000 + i) for i in range(250)])  # a batch bigger than the cap
    assert model.rowCount() == 100 and model.evicted == 300
    assert cell(model, 99, Column.INDEX) == "400"
    model.clear()
    assert model.rowCount() == 0 and model.evicted == 0 and model.total == 0


def test_many_batches_stay_bounded(inspector: MessageInspector) -> None:
    """20,000 messages in batches of 1,000 twice over: the log never exceeds its cap."""
    n = 0
    for _ in range(40):
        batch = [msg(n + i, {"seq": n + i, "out": "x" * 40}, seq=n + i) for i in range(1_000)]
        n += len(batch)
        inspector.add_messages(batch)
        assert inspector.model.rowCount() <= inspector.model.capacity
    assert inspector.model.rowCount() == 20_000
    assert inspector.model.evicted == 20_000
    assert inspector.proxy.rowCount() == 20_000
    assert "40,000 messages" in inspector.counts.text()
    assert "20,000 older ones dropped" in inspector.counts.text()
    inspector.search.setText("seq: 39999")  # a text filter over the whole log
    assert inspector.proxy.rowCount() == 1


def test_error_rows_are_coloured(qtbot) -> None:
    model = MessageLogModel()
    model.add(
        [
            msg(0, {"ok": 1}),
            msg(1, FalError("INTERNAL_ERROR", "boom", 40), kind="x-fal-error"),
            msg(2, {"action": "timings"}, kind="x-fal-message"),
            msg(3, {"error": "x"}, kind="error"),
        ]
    )
    fg, bg = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole
    assert cell(model, 0, Column.KIND, fg) is None and cell(model, 0, Column.KIND, bg) is None
    red = cell(model, 1, Column.KIND, fg)
    assert red is not None and red.color().red() > 150 and red.color().blue() < 100
    assert cell(model, 1, Column.SUMMARY, bg) is not None
    blue = cell(model, 2, Column.SUMMARY, bg)
    assert blue is not None and blue.color().blue() > blue.color().red()
    assert cell(model, 3, Column.KIND, fg).color() == red.color()
    assert model.errors == 2
    assert 'FalError{error: "INTERNAL_ERROR", reason: "boom"' in cell(model, 1, Column.SUMMARY)


# -- filters -----------------------------------------------------------------------------


def test_filters(inspector: MessageInspector) -> None:
    inspector.add_messages(
        [
            msg(0, {"prompt": "cat"}, kind="input", direction="out"),
            msg(1, {"image": "cat picture"}),
            msg(2, {"prompt": "dog"}, kind="input", direction="out"),
            msg(3, FalError("TIMEOUT", "idle", 20), kind="x-fal-error"),
        ]
    )
    proxy = inspector.proxy
    assert proxy.rowCount() == 4
    kinds = [inspector.kind.itemText(i) for i in range(inspector.kind.count())]
    assert kinds == ["all kinds", "input", "output", "x-fal-error"]

    inspector.direction.setCurrentIndex(inspector.direction.findData("out"))
    assert proxy.rowCount() == 2
    assert "2 shown" in inspector.counts.text()
    inspector.search.setText("CAT")  # case-insensitive, searches the summary
    assert proxy.rowCount() == 1
    assert cell(proxy, 0, Column.INDEX) == "1"
    inspector.direction.setCurrentIndex(0)
    assert proxy.rowCount() == 2
    inspector.search.clear()
    inspector.kind.setCurrentIndex(inspector.kind.findData("x-fal-error"))
    assert proxy.rowCount() == 1
    assert cell(proxy, 0, Column.KIND) == "x-fal-error"
    inspector.add_messages([msg(4, FalError("X", "y", 9), kind="x-fal-error"), msg(5, {})])
    assert proxy.rowCount() == 2  # new rows pass through the active filter
    inspector.clear()
    assert proxy.rowCount() == 0
    assert inspector.kind.currentData() == "x-fal-error"  # the chosen filter stays


# -- the detail pane ---------------------------------------------------------------------


def tab_text(inspector: MessageInspector, tab: int) -> str:
    inspector.tabs.setCurrentIndex(tab)
    widget = {inspector.TEXT: inspector.text, inspector.HEX: inspector.hex}[tab]
    return widget.toPlainText()


def tree_rows(inspector: MessageInspector) -> list[tuple[str, str]]:
    inspector.tabs.setCurrentIndex(inspector.TREE)
    tree = inspector.tree
    out = []
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        out.append((top.text(0), top.text(1)))
        out.extend(
            (f"{top.text(0)}/{top.child(j).text(0)}", top.child(j).text(1))
            for j in range(top.childCount())
        )
    return out


def test_selecting_a_row_fills_tree_text_hex(inspector: MessageInspector, qtbot) -> None:
    data = {"prompt": "a cat", "latents": b"\x00\x01ABC" * 4, "sizes": [1, 2]}
    inspector.add_messages([msg(0, {"other": 1}), msg(1, data, size=99)])
    with qtbot.waitSignal(inspector.sigSelected) as blocker:
        inspector.select_row(1)
    assert blocker.args[0].data is data

    rows = tree_rows(inspector)
    assert ("prompt", "a cat") in rows
    assert ("latents", "<20 bytes>") in rows
    assert ("sizes", "[2 items]") in rows and ("sizes/[1]", "2") in rows

    text = tab_text(inspector, inspector.TEXT)
    assert '"prompt": "a cat"' in text and '"latents": "<20 bytes>"' in text

    hexdump = tab_text(inspector, inspector.HEX)
    assert "latents: 20 bytes" in hexdump
    assert "00000000  00 01 41 42 43 00 01 41" in hexdump and "|..ABC..ABC..ABC.|" in hexdump

    inspector.select_row(0)  # a new selection re-renders the tab on show
    assert '"other": 1' in tab_text(inspector, inspector.TEXT)


def test_text_message_shows_text_and_utf8_hex(inspector: MessageInspector) -> None:
    inspector.show_message(msg(0, "héllo\nworld", kind="text"))
    assert tab_text(inspector, inspector.TEXT) == "héllo\nworld"
    assert "68 c3 a9 6c 6c 6f" in tab_text(inspector, inspector.HEX)


def test_png_bytes_show_in_image_tab(inspector: MessageInspector) -> None:
    png = png_bytes()
    inspector.add_messages([msg(0, {"image": png, "seed": 3}, size=len(png))])
    inspector.select_row(0)
    inspector.tabs.setCurrentIndex(inspector.IMAGE)
    assert not inspector.image.source.isNull()
    assert inspector.image.source.width() == 32 and inspector.image.source.height() == 24
    assert "image: PNG 32×24" in inspector.image_caption.text()


def test_data_url_shows_in_image_tab(inspector: MessageInspector) -> None:
    """The shape the mock's diffusion app streams: images[0].url is a data URL."""
    url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    event = {"type": "result", "images": [{"url": url, "width": 32, "height": 24}], "seed": 1}
    inspector.tabs.setCurrentIndex(inspector.IMAGE)
    inspector.show_message(msg(0, event, kind="event"))
    assert not inspector.image.source.isNull()
    assert not inspector.image.picture.pixmap().isNull()
    assert inspector.image_caption.text().startswith("images[0].url: PNG 32×24")
    inspector.show_message(msg(1, {"type": "progress"}, kind="event"))
    assert inspector.image.source.isNull()
    assert inspector.image_caption.text() == "no image in this message"


def test_image_detection_rules() -> None:
    png = png_bytes()
    assert find_image(png) == ("", png)
    assert find_image({"a": {"b": png}}) == ("a.b", png)
    assert find_image({"jpeg": b"\xff\xd8\xff\xe0rest"})[0] == "jpeg"
    assert find_image({"w": b"RIFF\x00\x00\x00\x00WEBPVP8 "})[0] == "w"
    assert find_image({"a": {"b": {"c": {"d": png}}}}) is None  # deeper than we look
    assert find_image({"bytes": b"not an image", "text": "data:text/plain;base64,aGk="}) is None


def test_huge_message_respects_caps(inspector: MessageInspector) -> None:
    blob = bytes(range(256)) * 4096  # 1 MiB
    wide = {f"key{i}": i for i in range(10_000)}
    inspector.add_messages([msg(0, blob, kind="binary", size=len(blob)), msg(1, wide)])

    inspector.select_row(0)
    hexdump = tab_text(inspector, inspector.HEX)
    assert f"showing the first {HEX_BYTES:,} of 1,048,576 bytes" in hexdump
    assert hexdump.count("\n") < HEX_BYTES // 16 + 10
    assert "<1,048,576 bytes>" in tab_text(inspector, inspector.TEXT)

    inspector.select_row(1)
    inspector.tabs.setCurrentIndex(inspector.TREE)
    tree = inspector.tree
    assert tree.topLevelItemCount() <= TREE_NODES + 1
    last = tree.topLevelItem(tree.topLevelItemCount() - 1).text(0)
    assert last.startswith("… ") and last.endswith(" more")
    assert len(tab_text(inspector, inspector.TEXT)) > 100_000  # 10k keys fit the text cap
    assert len(inspector.model.summary(1)) <= 160


def test_summary_is_bounded_and_one_line() -> None:
    assert summarize("a\nb") == "a b"
    assert len(summarize("x" * 10_000)) == 160
    assert summarize({"u": "data:image/png;base64," + "A" * 5000}).endswith('…"}')
    assert summarize(b"\x89PNG\r\n\x1a\nrest") == "<12 bytes, PNG>"
    deep: object = 1
    for _ in range(5_000):  # no recursion error on absurd nesting
        deep = [deep]
    assert summarize(deep).startswith("[[[[")


def test_msgpack_frame_shows_its_bytes_in_hex(inspector: MessageInspector) -> None:
    # a realtime output: the Message holds the decoded map; Hex shows the frame itself
    inspector.show_message(msg(0, {"a": 1}, size=4))
    hexdump = tab_text(inspector, inspector.HEX)
    assert "msgpack frame: 4 bytes" in hexdump and "81 a1 61 01" in hexdump


# -- the list/detail splitter ------------------------------------------------------------


def test_splitter_is_resizable_and_neither_side_collapses(inspector: MessageInspector, qtbot):
    inspector.show()
    qtbot.waitUntil(lambda: inspector.split.sizes()[0] > 0, timeout=5_000)
    split = inspector.split
    assert not split.childrenCollapsible()
    list_, detail = split.sizes()
    assert list_ >= inspector.list_height(10)  # 10 rows where the panel is tall enough
    assert detail >= inspector.tabs.minimumHeight()
    total = list_ + detail
    split.setSizes([total - 200, 200])
    assert split.sizes() == [total - 200, 200]
    split.setSizes([0, total])  # dragged all the way: the log keeps a few rows
    assert split.sizes()[0] >= inspector.list_height(3) > 0
    split.setSizes([total, 0])
    assert split.sizes()[1] >= inspector.tabs.minimumHeight() > 0


def test_default_sizes_fit_small_and_tall_panels(inspector: MessageInspector) -> None:
    tall = inspector.default_sizes(900)
    assert tall[0] >= 450 and sum(tall) == 900
    small = inspector.default_sizes(inspector.list_height(10))
    assert small[1] >= inspector.tabs.minimumHeight()
    assert small[0] >= inspector.table.minimumHeight()


def test_splitter_position_is_remembered(qtbot, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    first = MessageInspector(settings=settings)
    qtbot.addWidget(first)
    first.resize(900, 700)
    first.show()
    qtbot.waitUntil(lambda: first.split.sizes()[0] > 0, timeout=5_000)
    total = sum(first.split.sizes())
    first.split.moveSplitter(total - 250, 1)  # as a drag does (emits splitterMoved)
    moved = first.split.sizes()
    assert moved[1] == pytest.approx(250, abs=8)
    second = MessageInspector(settings=settings)
    qtbot.addWidget(second)
    second.resize(900, 700)
    second.show()
    qtbot.waitUntil(lambda: second.split.sizes()[0] > 0, timeout=5_000)
    assert second.split.sizes() == moved


def test_select_latest_shows_the_newest_reply(inspector: MessageInspector) -> None:
    assert inspector.select_latest() is None  # nothing yet
    inspector.add_messages(
        [
            msg(0, {"a": 1}, kind="input", direction="out"),
            msg(1, {"reply": 1}),
            msg(2, {"a": 2}, kind="input", direction="out"),
        ]
    )
    latest = inspector.select_latest("in")
    assert latest is not None and latest.data == {"reply": 1}
    assert inspector.current is latest
    assert inspector.table.currentIndex().row() == 1
    newest = inspector.select_latest(None)
    assert newest is not None and newest.data == {"a": 2}


def test_an_sse_events_own_fields_show_before_its_data_and_filter(qtbot) -> None:
    model = MessageLogModel()
    fields = {"event": "progress", "id": "7", "retry": 3000}
    event = Message(0, "in", MS, "event", 12, {"step": 1}, None, None, fields)
    plain = Message(0, "in", 2 * MS, "event", 12, {"step": 2}, None, None, None)
    model.add([event, plain])
    assert cell(model, 0, Column.SUMMARY) == "[event: progress · id: 7 · retry: 3000] {step: 1}"
    assert cell(model, 1, Column.SUMMARY) == "{step: 2}"  # no fields, no brackets
    proxy = MessageFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_text("id: 7")
    assert proxy.rowCount() == 1
