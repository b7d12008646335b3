"""Capture of the videos people actually have: a phone's rotated portrait video, a variable
frame rate, a face that leaves the picture, a 4K frame, and the common containers and codecs.

Each clip is made at test time from the committed round-trip clip (the avatar rendered from
known curves), so the capture of the plain clip is the reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from video.clips import FPS, write_clip  # tests/video/clips.py (tests/ is on the path)

from avatar.capture import capture
from avatar.capture.core import track
from avatar.expression.channels import CHANNEL_INDEX
from avatar.portrait.facemesh import eye_distance
from avatar.video.reader import read_frames

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "capture"
N = 75  # frames: 0.3 s at rest, then speech, head motion and a blink
JAW = CHANNEL_INDEX["jawOpen"]
LOSSLESS = {"options": {"qp": "0"}, "pix_fmt": "yuv444p"}  # the same pixels, however stored


def _r(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


@pytest.fixture(scope="module")
def portrait() -> list[np.ndarray]:
    """The clip's first frames as a phone films them: taller than wide (256 x 320)."""
    frames = [rgb for _, rgb in read_frames(FIXTURES / "roundtrip.mp4")][:N]
    return [np.pad(rgb, ((32, 32), (0, 0), (0, 0)), mode="edge") for rgb in frames]


@pytest.fixture(scope="module")
def upright(portrait, tmp_path_factory) -> Path:
    return write_clip(tmp_path_factory.mktemp("upright") / "upright.mp4", portrait, **LOSSLESS)


@pytest.fixture(scope="module")
def reference(upright):
    return capture(upright, neutral_frame=0)


@pytest.mark.slow
def test_rotated_phone_video(portrait, upright, reference, tmp_path: Path) -> None:
    """A phone held upright stores landscape pictures turned 90 degrees and a display matrix
    that turns them back; capture sees the face as the viewer does."""
    stored = [np.rot90(rgb, 1) for rgb in portrait]  # the sensor's landscape: (256, 320)
    path = write_clip(tmp_path / "phone.mp4", stored, rotation={"degrees": -90}, **LOSSLESS)
    _, faces = track(path)
    _, want = track(upright)
    err = max(np.abs(a[:, :2] - b[:, :2]).max() for a, b in zip(faces, want, strict=True))
    assert err < 1.0, f"landmarks {err:.1f} px from the upright clip's"
    got = capture(path, neutral_frame=0)
    assert got.num_frames == reference.num_frames
    assert _r(got.expression[:, JAW], reference.expression[:, JAW]) > 0.95
    assert np.abs(got.head - reference.head).max() < 0.5


@pytest.mark.slow
def test_variable_frame_rate(portrait, reference, tmp_path: Path) -> None:
    """Frames dropped unevenly, as phones do in low light (every third frame for a second, then
    every other, then none), with a few ms of jitter: each keeps its time, and capture
    resamples them onto 30 fps following the known curves."""
    keep = [i for i in range(N) if (i < 30 and i % 3 != 2) or (30 <= i < 54 and i % 2 == 0) or i >= 54]
    times = [i / FPS + 0.004 * np.sin(i) for i in keep]
    path = write_clip(tmp_path / "vfr.mp4", [portrait[i] for i in keep], times=times, **LOSSLESS)
    got = capture(path, neutral_frame=0)
    assert abs(got.num_frames - N) <= 1, f"{got.num_frames} frames for {N / FPS:.2f} s"
    truth = np.load(FIXTURES / "roundtrip.npz")["expression"][:N, JAW]
    n = min(got.num_frames, N)
    r_vfr, r_cfr = _r(got.expression[:n, JAW], truth[:n]), _r(reference.expression[:, JAW], truth)
    assert r_vfr > r_cfr - 0.05, f"jawOpen r {r_vfr:.3f} at a variable rate, {r_cfr:.3f} at 30 fps"
    assert np.abs(got.head[:n] - reference.head[:n]).max() < 2.0


def _slide(rgb: np.ndarray, shift: int) -> np.ndarray:
    """The picture moved ``shift`` pixels to the right, grey where it left."""
    out = np.full_like(rgb, 90)
    if shift < rgb.shape[1]:
        out[:, shift:] = rgb[:, : rgb.shape[1] - shift]
    return out


@pytest.mark.slow
def test_face_that_leaves_the_picture(portrait, reference, tmp_path: Path) -> None:
    """The face slides out to the right (frames 30-35), stays out (36-41) and comes back
    (42-47): flagged where it is gone, no error, and the rest of the clip is as before once
    the tracker has settled (0.15 s after the face is back; a face moving this fast reads as
    expression and turn while it moves)."""
    width = portrait[0].shape[1]
    shift = {30 + k: (k + 1) * width // 6 for k in range(6)} | {36 + k: width for k in range(6)}
    shift |= {42 + k: (5 - k) * width // 6 for k in range(6)}
    frames = [_slide(rgb, shift.get(i, 0)) for i, rgb in enumerate(portrait)]
    path = write_clip(tmp_path / "leaves.mp4", frames, **LOSSLESS)
    got = capture(path, neutral_frame=0)
    assert got.num_frames == N
    assert not got.face_found[36:42].any()
    outside = np.r_[0:29, 53:N]  # frame 29 shares the temporal prior's Gaussian with the sliding 30
    assert got.face_found[outside].all()
    diff = np.abs(got.expression[outside] - reference.expression[outside]).max()
    assert diff < 0.05, f"channels away from the gap moved by {diff:.3f}"
    assert np.abs(got.head[outside] - reference.head[outside]).max() < 0.5


def test_4k_video(portrait, tmp_path: Path) -> None:
    """3840 x 2160 with a 1600 px face: found in every frame, landmarks on the full frame."""
    scale = 1600 / portrait[0].shape[1]
    frames = []
    for rgb in portrait[:5]:
        face = np.asarray(Image.fromarray(rgb).resize((1600, round(rgb.shape[0] * scale)), Image.BILINEAR))
        canvas = np.full((2160, 3840, 3), 90, np.uint8)
        canvas[80 : 80 + face.shape[0], 1120:2720] = face
        frames.append(canvas)
    path = write_clip(tmp_path / "4k.mp4", frames, options={"preset": "ultrafast"})
    _, faces = track(path)
    assert all(lm is not None for lm in faces)
    _, small = track(write_clip(tmp_path / "small.mp4", portrait[:5]))
    for lm, ref in zip(faces, small, strict=True):
        assert abs(eye_distance(lm) / eye_distance(ref) - scale) < 0.02 * scale
        np.testing.assert_allclose(lm[:, :2].mean(0), ref[:, :2].mean(0) * scale + (1120, 80), atol=8)


FORMATS = [  # suffix, encoder, pixel format
    ("mov", "libx264", "yuv420p"),
    ("avi", "mjpeg", "yuvj420p"),
    ("mpg", "mpeg2video", "yuv420p"),
    ("flv", "flv", "yuv420p"),
    ("webm", "libvpx-vp9", "yuv420p"),
]


@pytest.mark.parametrize(("suffix", "codec", "pix_fmt"), FORMATS)
def test_common_formats_capture(
    portrait, reference, tmp_path: Path, suffix: str, codec: str, pix_fmt: str
) -> None:
    frames = portrait[:30]
    options = {"qscale": "2"} if codec in ("mjpeg", "flv", "mpeg2video") else {"crf": "18"}
    path = write_clip(tmp_path / f"clip.{suffix}", frames, codec=codec, pix_fmt=pix_fmt, options=options)
    times, faces = track(path)
    assert len(faces) == 30 and all(lm is not None for lm in faces)
    np.testing.assert_allclose(times, np.arange(30) / FPS, atol=1.5e-3)
