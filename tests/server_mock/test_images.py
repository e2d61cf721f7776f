from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from server_mock.images import encode_png, gradient_image


@pytest.mark.parametrize(("w", "h"), [(16, 16), (64, 33), (257, 100)])
def test_png_decodes_to_the_same_pixels(w: int, h: int) -> None:
    rgb = gradient_image(w, h, seed=3)
    image = QImage.fromData(encode_png(rgb), "PNG").convertToFormat(QImage.Format.Format_RGB888)
    assert (image.width(), image.height()) == (w, h)
    stride = image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    assert np.array_equal(raw[:, : w * 3].reshape(h, w, 3), rgb)


def test_encode_png_refuses_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4), dtype=np.uint8))


def test_images_depend_on_seed_and_progress() -> None:
    a = gradient_image(32, 32, seed=1)
    assert not np.array_equal(a, gradient_image(32, 32, seed=2))
    assert not np.array_equal(a, gradient_image(32, 32, seed=1, progress=0.2))
    assert np.array_equal(a, gradient_image(32, 32, seed=1))
