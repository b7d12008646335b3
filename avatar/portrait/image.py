"""Read a portrait photo safely: size limits from the header, EXIF orientation, any mode -> RGB."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageError

MAX_PIXELS = 40_000_000  # 40 megapixels (e.g. 7700 x 5200); decoded RGB is 120 MB
MIN_SIDE = 64  # px; smaller images cannot hold a face the face mesh can measure
BACKGROUND = (255, 255, 255)  # what transparent pixels become


def check_readable(path: Path) -> None:
    """Raise ImageError unless ``path`` is an existing, readable file."""
    if not path.exists():
        raise ImageError(f"portrait not found: {path}")
    if path.is_dir():
        raise ImageError(f"portrait path is a directory: {path}")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ImageError(f"cannot read portrait {path}: {exc.strerror}") from None


def read_image(path: str | Path) -> np.ndarray:
    """Decode a photo (jpg, png, webp, anything Pillow reads) as (H, W, 3) uint8 RGB.

    The pixel count is checked from the header before decoding (a decompression bomb never gets
    decoded); EXIF orientation is applied; grayscale, palette, 16-bit and CMYK images are
    converted and transparency is flattened onto white. Raises ImageError naming the file.
    """
    path = Path(path)
    check_readable(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns about 89-179 megapixel images on open; ours is the clearer refusal.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            width, height = img.size  # from the header; nothing decoded yet
            if width * height > MAX_PIXELS:
                raise ImageError(_too_large(path, width, height))
            if min(width, height) < MIN_SIDE:
                raise ImageError(
                    f"portrait too small: {path} is {width}x{height} px; need at least "
                    f"{MIN_SIDE} px a side (a face photo of 512 px or more works best)"
                )
            upright = ImageOps.exif_transpose(img)  # decodes
            return _to_rgb(upright)
    except Image.DecompressionBombError:
        # Pillow's own guard (for sizes beyond twice its limit) fired before ours could.
        raise ImageError(
            f"portrait too large: {path} has more than {MAX_PIXELS / 1e6:.0f} megapixels"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(f"not an image, or a format Pillow cannot read: {path}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise ImageError(f"cannot decode portrait {path}: {reason}") from None


def _too_large(path: Path, width: int, height: int) -> str:
    return (
        f"portrait too large: {path} is {width}x{height} px ({width * height / 1e6:.0f} megapixels); "
        f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels"
    )


def _to_rgb(img: Image.Image) -> np.ndarray:
    if img.mode.startswith("I;16"):
        # 16-bit grayscale: Pillow's convert("RGB") would clip at 255, so scale down instead.
        gray = (np.asarray(img).astype(np.uint32) >> 8).astype(np.uint8)  # (H, W)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float32)
        top = 65535.0 if values.max() > 255 else 255.0
        gray = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        flat.alpha_composite(rgba)
        img = flat
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))
