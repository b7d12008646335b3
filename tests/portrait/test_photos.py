"""Photos that cannot be used fail with one clear line naming the file; odd formats work."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from avatar.errors import AvatarError, ImageError
from avatar.portrait import enroll
from avatar.portrait.image import MAX_PIXELS, read_image


def refused(path, *needles):
    with pytest.raises(ImageError) as info:
        enroll(path)
    message = str(info.value)
    assert isinstance(info.value, AvatarError) and "\n" not in message
    assert str(path) in message, message
    for needle in needles:
        assert needle in message, message
    return message


def png_claiming(path, width, height):
    """A real 64x64 PNG whose header says width x height (the pixels would not decode)."""
    Image.new("L", (64, 64)).save(path)
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))


def test_missing_file(tmp_path):
    refused(tmp_path / "nobody.jpg", "not found")


def test_directory(tmp_path):
    refused(tmp_path, "directory")


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("not a photo\n")
    refused(path, "not an image")


def test_truncated_jpeg(tmp_path, astronaut):
    path = tmp_path / "cut.jpg"
    Image.fromarray(astronaut).save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    refused(path, "cannot decode", "truncated")


def test_decompression_bomb_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    png_claiming(path, 9000, 9000)  # 81 megapixels: above our limit, below Pillow's warning
    assert MAX_PIXELS < 9000 * 9000
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels decoded"))
    refused(path, "too large", "9000x9000", "40 megapixels")


def test_no_pillow_warning_between_its_limits(tmp_path, recwarn):
    path = tmp_path / "big.png"
    png_claiming(path, 10000, 10000)  # 100 megapixels: Pillow would warn, then decode
    refused(path, "too large", "10000x10000")
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_pillows_own_bomb_guard_is_an_image_error(tmp_path):
    path = tmp_path / "huge.png"
    png_claiming(path, 30000, 30000)  # 900 megapixels: Pillow refuses to even open it
    refused(path, "too large")


def test_too_small_image(tmp_path, astronaut):
    path = tmp_path / "thumb.png"
    Image.fromarray(astronaut).resize((32, 32)).save(path)
    refused(path, "too small", "32x32")


def test_blank_image_has_no_face(tmp_path):
    path = tmp_path / "wall.png"
    Image.new("RGB", (320, 240), (180, 170, 160)).save(path)
    refused(path, "no face found")


def test_tiny_face(tmp_path, astronaut):
    path = tmp_path / "far.png"
    Image.fromarray(astronaut).resize((100, 100), Image.LANCZOS).save(path)  # eyes ~12 px apart
    message = refused(path)
    assert "face too small" in message or "no face found" in message


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "I;16", "CMYK"])
def test_image_modes(tmp_path, astronaut, mode):
    img = Image.fromarray(astronaut)
    if mode == "I;16":
        img = Image.fromarray(np.asarray(img.convert("L")).astype(np.uint16) * 257)
        assert img.mode == "I;16"
    else:
        img = img.convert(mode)
    suffix = ".jpg" if mode == "CMYK" else ".png"
    path = tmp_path / f"mode{suffix}"
    img.save(path)
    rgb = read_image(path)
    assert rgb.shape == (512, 512, 3) and rgb.dtype == np.uint8
    if mode in ("L", "LA", "I;16"):
        assert (rgb[..., 0] == rgb[..., 1]).all()
        assert abs(int(rgb.mean()) - int(np.asarray(Image.fromarray(astronaut).convert("L")).mean())) <= 2
    assert enroll(path, name=f"m{mode.replace(';', '')}").meta["faces_found"] == 1


def test_transparency_becomes_white(tmp_path, astronaut):
    rgba = np.dstack([astronaut, np.full((512, 512), 255, np.uint8)])
    rgba[:, :100, 3] = 0  # a cut-out background on the left
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba).save(path)
    rgb = read_image(path)
    assert (rgb[:, :100] == 255).all()
    np.testing.assert_array_equal(rgb[:, 100:], astronaut[:, 100:])


def test_webp(tmp_path, astronaut):
    path = tmp_path / "eileen.webp"
    Image.fromarray(astronaut).save(path, quality=90)
    avatar = enroll(path)
    assert avatar.name == "eileen" and avatar.meta["faces_found"] == 1


def test_exif_orientation(tmp_path, astronaut):
    upright = astronaut[:, 50:450]  # (512, 400, 3)
    stored = np.rot90(upright)  # (400, 512, 3): on its side, as a phone camera writes it
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    path = tmp_path / "phone.jpg"
    Image.fromarray(np.ascontiguousarray(stored)).save(path, exif=exif, quality=95)
    assert read_image(path).shape == (512, 400, 3)
    meta = enroll(path).meta
    assert meta["source_size"] == [400, 512] and abs(meta["roll_deg"]) < 10
