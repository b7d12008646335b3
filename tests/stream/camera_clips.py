"""The round-trip clip as a webcam films it, for the camera tests (the stream, WS /stream and the
web page in Chromium): the face in a 320x240 picture on grey."""

from pathlib import Path

import cv2
import numpy as np

from avatar.expression.channels import CHANNEL_INDEX
from avatar.video.reader import read_frames

CAPTURE = Path(__file__).parents[1] / "fixtures" / "capture"


def camera_frames(width: int = 320, height: int = 240) -> list[np.ndarray]:
    """The round-trip clip's frames (H, W, 3) RGB, the square face centred in a wider picture."""
    out = []
    for _, rgb in read_frames(CAPTURE / "roundtrip.mp4"):
        canvas = np.full((height, width, 3), 90, np.uint8)
        canvas[:, (width - height) // 2 : (width + height) // 2] = cv2.resize(
            rgb, (height, height), interpolation=cv2.INTER_AREA
        )
        out.append(canvas)
    return out


def camera_jpegs(width: int = 320, height: int = 240) -> list[bytes]:
    """``camera_frames`` as a webcam page sends them: JPEG 70."""
    return [
        cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes()
        for rgb in camera_frames(width, height)
    ]


def camera_clip() -> tuple[list[bytes], np.ndarray]:
    """The JPEGs and the jawOpen curve they were rendered from."""
    return camera_jpegs(), np.load(CAPTURE / "roundtrip.npz")["expression"][:, CHANNEL_INDEX["jawOpen"]]
