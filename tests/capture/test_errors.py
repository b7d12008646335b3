"""Videos capture cannot use get a one-line CaptureError; frames without a face are bridged."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from video.clips import BAD  # tests/video/clips.py (tests/ is on the path)

from avatar.capture import CaptureError, capture
from avatar.cli import main
from avatar.errors import AvatarError, VideoError
from avatar.video import VideoWriter
from avatar.video.reader import read_frames

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "capture" / "roundtrip.mp4"


def test_not_a_video(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(VideoError, match="cannot read video") as info:
        capture(bad)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", BAD)
def test_unusable_video_is_one_line(tmp_path: Path, case: str) -> None:
    make, message = BAD[case]
    path = make(tmp_path / "input.mp4")
    with pytest.raises(AvatarError, match=message) as info:
        capture(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", [*BAD, "no face"])
def test_unusable_video_on_the_command_line(tmp_path: Path, capsys, case: str) -> None:
    """Exit code 1 and one line on stderr naming the problem, never a traceback."""
    if case == "no face":
        path, message = _grey(tmp_path / "input.mp4"), "no face found in any of the 10 frames"
    else:
        make, message = BAD[case]
        path = make(tmp_path / "input.mp4")
    assert main(["capture", str(path), "-o", str(tmp_path / "face.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("avatar: error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    assert not (tmp_path / "face.json").exists()


def _grey(path: Path) -> Path:
    with VideoWriter(path, 64) as writer:
        for _ in range(10):
            writer.write(np.full((64, 64, 3), 128, np.uint8))
    return path


def test_no_face_at_all(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="no face found in any of the 10 frames"):
        capture(_grey(tmp_path / "grey.mp4"))


def test_bad_neutral_frame() -> None:
    with pytest.raises(CaptureError, match="neutral frame 9999"):
        capture(FIXTURE, neutral_frame=9999)


def test_frames_without_a_face_are_flagged_and_bridged(tmp_path: Path) -> None:
    frames = [rgb for _, rgb in read_frames(FIXTURE)][:60]
    gap = range(30, 40)
    path = tmp_path / "gap.mp4"
    with VideoWriter(path, frames[0].shape[0]) as writer:
        for i, rgb in enumerate(frames):
            writer.write(np.zeros_like(rgb) if i in gap else rgb)
    anim = capture(path, neutral_frame=0)
    assert anim.num_frames == 60
    assert not anim.face_found[list(gap)].any()
    assert anim.face_found[:30].all() and anim.face_found[40:].all()
    # bridged: each channel inside the gap lies between its values on either side
    lo = np.minimum(anim.expression[29], anim.expression[40]) - 1e-6
    hi = np.maximum(anim.expression[29], anim.expression[40]) + 1e-6
    assert np.all((anim.expression[list(gap)] >= lo) & (anim.expression[list(gap)] <= hi))
