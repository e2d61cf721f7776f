"""The Image tab: zoom (buttons, keys, wheel, fit, 100 %) and Save image… to a PNG that
loads back, in the folder the dialog remembers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QImage, QPixmap, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from app.gui.image_view import LAST_DIR_KEY, MAX_SIDE, ZOOM_STEP, ImageView
from server_mock.images import encode_png, gradient_image


def picture(w: int = 32, h: int = 24) -> QPixmap:
    image = QImage.fromData(encode_png(gradient_image(w, h, seed=1)))
    assert not image.isNull()
    return QPixmap.fromImage(image)


@pytest.fixture
def view(qtbot, tmp_path: Path) -> ImageView:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    widget = ImageView(settings=settings)
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_source(picture())
    return widget


def shown_size(view: ImageView) -> tuple[int, int]:
    pixmap = view.picture.pixmap()
    return pixmap.width(), pixmap.height()


def test_fit_fills_the_tab_and_zoom_changes_the_scale(view: ImageView, qtbot) -> None:
    assert view.fitting and view.fit_button.isChecked()
    fit = view.scale
    assert fit == pytest.approx(view.fit_scale()) and fit > 1  # 32x24 in a larger tab
    view.zoom_in()
    assert not view.fitting and view.scale == pytest.approx(fit * ZOOM_STEP)
    assert shown_size(view) == (round(32 * view.scale), round(24 * view.scale))
    view.actual()
    assert view.scale == 1 and shown_size(view) == (32, 24)
    assert view.zoom_label.text() == "100 %"
    view.zoom_out()
    assert view.scale == pytest.approx(1 / ZOOM_STEP)
    view.fit()
    assert view.fitting and view.scale == pytest.approx(fit)


def test_keys_and_the_wheel_zoom(view: ImageView, qtbot) -> None:
    view.actual()
    view.area.setFocus()
    qtbot.keyClick(view.area, Qt.Key.Key_Plus)
    assert view.scale == pytest.approx(ZOOM_STEP)
    qtbot.keyClick(view.area, Qt.Key.Key_Minus)
    assert view.scale == pytest.approx(1)
    viewport = view.area.viewport()
    wheel = QWheelEvent(
        QPointF(10, 10),
        QPointF(viewport.mapToGlobal(QPoint(10, 10))),
        QPoint(0, 0),
        QPoint(0, 240),  # two notches up
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, wheel)
    assert view.scale == pytest.approx(ZOOM_STEP**2)


def test_zoom_is_bounded(view: ImageView) -> None:
    for _ in range(200):
        view.zoom_in()
    assert 32 * view.scale <= MAX_SIDE
    for _ in range(200):
        view.zoom_out()
    assert view.scale > 0 and shown_size(view)[0] >= 1


def test_save_writes_a_png_that_loads(view: ImageView, tmp_path: Path, qtbot) -> None:
    with qtbot.waitSignal(view.sigSaved) as saved:
        path = view.save_image(tmp_path / "out")  # no suffix: .png is added
    assert path == str(tmp_path / "out.png") == saved.args[0]
    back = QImage(path)
    assert not back.isNull() and (back.width(), back.height()) == (32, 24)
    assert Path(path).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert back.pixelColor(5, 5) == view.source.toImage().pixelColor(5, 5)


def test_the_dialog_opens_in_the_last_folder(
    view: ImageView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialog itself stands in for the user; the folder comes from the settings."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    asked: list[str] = []

    def choose(_parent: object, _title: str, start: str, _filter: str) -> tuple[str, str]:
        asked.append(start)
        return str(folder / "cat.png"), "PNG image (*.png)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    assert view.save_image_dialog() == str(folder / "cat.png")
    assert view.settings is not None and view.settings.value(LAST_DIR_KEY) == str(folder)
    again = ImageView(settings=view.settings)  # a later inspector, same settings
    again.set_source(picture())
    again.save_image_dialog()
    assert Path(asked[-1]).parent == folder


def test_a_failed_save_says_why_in_one_line(view: ImageView, tmp_path: Path, qtbot) -> None:
    with qtbot.waitSignal(view.sigError) as error:
        assert view.save_image(tmp_path / "missing" / "x.png") is None
    assert "does not exist" in error.args[0] and "\n" not in error.args[0]
    (tmp_path / "taken.png").mkdir()  # a folder where the file should go
    with qtbot.waitSignal(view.sigError) as error:
        assert view.save_image(tmp_path / "taken.png") is None
    assert error.args[0].startswith("cannot save image to ") and "\n" not in error.args[0]
    view.set_source(None)
    assert not view.save_button.isEnabled() and view.save_image_dialog() is None
