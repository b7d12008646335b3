"""read_frames: frames as displayed (rotation applied), their true display times, every common
container, and a one-line VideoError for whatever is not a usable video."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np
import pytest

from avatar.errors import VideoError
from avatar.video.reader import read_frames

from .clips import BAD, FPS, PICTURE, picture, retime_matroska, write_clip


def _read(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    decoded = list(read_frames(path))
    return np.array([t for t, _ in decoded]), [rgb for _, rgb in decoded]


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """The same picture up to compression (a flipped or shifted one differs by ~80 levels)."""
    return a.shape == b.shape and float(np.abs(a.astype(int) - b).mean()) < 6


# stored picture, display-matrix rotation: each stores PICTURE so that it displays upright
ORIENTATIONS = {
    "portrait phone (90 clockwise)": (np.rot90(PICTURE, 1), {"degrees": -90}),
    "90 counter-clockwise": (np.rot90(PICTURE, -1), {"degrees": 90}),
    "upside down": (np.rot90(PICTURE, 2), {"degrees": 180}),
    "mirrored (front camera)": (PICTURE[:, ::-1], {"degrees": 0, "hflip": True}),
    "flipped vertically": (PICTURE[::-1], {"degrees": 0, "vflip": True}),
    "90 counter-clockwise, mirrored": (np.rot90(PICTURE[:, ::-1], -1), {"degrees": 90, "hflip": True}),
}


@pytest.mark.parametrize("name", ORIENTATIONS)
def test_display_matrix_is_applied(tmp_path: Path, name: str) -> None:
    stored, rotation = ORIENTATIONS[name]
    path = write_clip(tmp_path / "phone.mp4", [stored] * 3, rotation=rotation)
    _, frames = _read(path)
    assert len(frames) == 3
    assert _close(frames[0], PICTURE), f"{name}: frame {frames[0].shape} is not displayed upright"


@pytest.mark.parametrize(("degrees", "turns"), [("90", 1), ("180", 2), ("270", 3)])
def test_old_rotate_tag_is_applied(tmp_path: Path, degrees: str, turns: int) -> None:
    """FFmpeg before 4.4 wrote the rotation as a ``rotate`` tag (degrees clockwise)."""
    path = write_clip(tmp_path / "old.mkv", [np.rot90(PICTURE, turns)] * 3, tags={"rotate": degrees})
    _, frames = _read(path)
    assert _close(frames[0], PICTURE)


def test_variable_frame_rate_keeps_each_frames_time(tmp_path: Path) -> None:
    """A phone drops frames in low light: irregular times, with x264's B-frames reordered."""
    times = np.cumsum([0.0] + [1 / 30, 2 / 30, 1 / 60, 1 / 30, 0.1, 1 / 30, 1 / 24] * 3)
    frames = [picture(shift=i) for i in range(len(times))]
    path = write_clip(tmp_path / "vfr.mp4", frames, times=times)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.has_b_frames
    got_times, got = _read(path)
    np.testing.assert_allclose(got_times, np.round(times, 3), atol=1e-6)
    assert all(_close(a, b) for a, b in zip(got, frames, strict=True))


def test_repeated_and_backward_times_still_increase(tmp_path: Path, caplog) -> None:
    frames = [picture(shift=i) for i in range(5)]
    path = write_clip(tmp_path / "broken.mkv", frames, codec="mjpeg", pix_fmt="yuvj420p")
    retime_matroska(path, {2: 33, 3: 20})  # frame 2 repeats frame 1's time, frame 3 goes back
    with caplog.at_level(logging.WARNING):
        times, got = _read(path)
    assert len(got) == 5 and np.all(np.diff(times) > 0)
    np.testing.assert_allclose(times, [0, 0.033, 0.033 + 1 / FPS, 0.033 + 2 / FPS, 0.133], atol=1e-6)
    assert "2 of 5 frames had a timestamp not after the previous one's" in caplog.text


FORMATS = [  # suffix, encoder, pixel format: what phones, cameras, screen recorders and the web write
    ("mp4", "libx264", "yuv420p"),
    ("mov", "libx264", "yuv420p"),
    ("mkv", "libx265", "yuv420p"),
    ("avi", "mjpeg", "yuvj420p"),
    ("avi", "mpeg4", "yuv420p"),
    ("mpg", "mpeg1video", "yuv420p"),
    ("mpg", "mpeg2video", "yuv420p"),
    ("flv", "flv", "yuv420p"),
    ("webm", "libvpx", "yuv420p"),
    ("webm", "libvpx-vp9", "yuv420p"),
]


@pytest.mark.parametrize(("suffix", "codec", "pix_fmt"), FORMATS)
def test_common_formats_decode(tmp_path: Path, suffix: str, codec: str, pix_fmt: str) -> None:
    frames = [picture(shift=i) for i in range(10)]
    options = {"log-level": "error"} if codec == "libx265" else None
    path = write_clip(tmp_path / f"clip.{suffix}", frames, codec=codec, pix_fmt=pix_fmt, options=options)
    times, got = _read(path)
    assert len(got) == 10
    np.testing.assert_allclose(np.diff(times), 1 / FPS, atol=1.5e-3)  # MPEG-PS starts at 0.5 s
    assert all(_close(a, b) for a, b in zip(got, frames, strict=True))


@pytest.mark.parametrize("case", BAD)
def test_unusable_input_is_one_line(tmp_path: Path, case: str) -> None:
    make, message = BAD[case]
    path = make(tmp_path / "input.mp4")
    with pytest.raises(VideoError, match=message) as info:
        list(read_frames(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_truncated_video_keeps_what_decodes(tmp_path: Path, caplog) -> None:
    frames = [picture(shift=i) for i in range(30)]
    path = write_clip(tmp_path / "clip.mkv", frames, codec="mjpeg", pix_fmt="yuvj420p")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING):
        _, got = _read(path)
    assert 5 <= len(got) < 30 and all(_close(a, b) for a, b in zip(got, frames, strict=False))
    assert "the video ends at" in caplog.text and "truncated?" in caplog.text


def test_a_damaged_frame_is_skipped(tmp_path: Path, caplog) -> None:
    frames = [picture(shift=i) for i in range(12)]
    path = write_clip(tmp_path / "clip.avi", frames, codec="mjpeg", pix_fmt="yuvj420p")
    with av.open(str(path)) as container:
        packet = [p for p in container.demux(video=0) if p.size][5]
    data = bytearray(path.read_bytes())
    data[packet.pos : packet.pos + packet.size] = np.random.default_rng(0).bytes(packet.size)
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        times, got = _read(path)
    assert len(got) == 11
    assert all(_close(a, b) for a, b in zip(got, frames[:5] + frames[6:], strict=True))
    np.testing.assert_allclose(times[5], 6 / FPS, atol=1.5e-3)  # the gap stays a gap
    assert "skipped 1 damaged packets" in caplog.text
