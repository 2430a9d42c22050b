"""Pixel dimensions from image headers, and the gateway's 8000-pixel check on image input."""

import base64

import pytest

from app.errors import InvalidRequestError
from app.image_size import dimensions
from app.images import ImageLoader
from app.settings import Settings
from tests.unit.converter.image_bytes import gif, jpeg, png, webp

MAKERS = {"png": png, "jpeg": jpeg, "gif": gif, "webp": webp}


@pytest.mark.parametrize("fmt", list(MAKERS))
@pytest.mark.parametrize("size", [(1, 1), (8000, 600), (640, 8001)])
def test_dimensions_are_read_from_the_header(fmt, size):
    assert dimensions(MAKERS[fmt](*size), fmt) == size


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [(b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"RIFF\x00\x00\x00\x00WEBPVP8?", "webp")],
    ids=["png-no-ihdr", "jpeg-no-frame", "webp-unknown-chunk"],
)
def test_unreadable_headers_give_none(raw, fmt):
    assert dimensions(raw, fmt) is None


def data_url(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode()


@pytest.fixture
def loader():
    return ImageLoader(Settings.from_env({"DISABLE_AUTH": "true"}))


@pytest.mark.parametrize("fmt", list(MAKERS))
def test_images_up_to_8000_pixels_a_side_load(loader, fmt):
    raw = MAKERS[fmt](8000, 8000)
    assert loader(data_url(raw)) == (raw, fmt)


@pytest.mark.parametrize(
    ("fmt", "size"), [("png", (8001, 10)), ("jpeg", (10, 9000)), ("webp", (12000, 12000))]
)
def test_larger_images_are_refused_before_bedrock(loader, fmt, size):
    with pytest.raises(InvalidRequestError) as caught:
        loader(data_url(MAKERS[fmt](*size)))
    assert caught.value.message.startswith(f"The image is {size[0]}x{size[1]} pixels")
    assert "at most 8000 pixels a side" in caught.value.message
