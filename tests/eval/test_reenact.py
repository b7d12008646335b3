"""Self-reenactment on a clip of the renderer's own face: driven by its own capture the avatar must
match the video closely, and driven wrongly (a jaw opening at random) clearly worse on every mouth
figure."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np
import pytest

from avatar.capture import capture
from avatar.config import load_config
from avatar.eval.reenact import (
    LIP_POINTS,
    METRICS,
    drive_expression,
    evaluate_reenact,
    fit_similarity,
    nearest_frames,
    reenact_clip,
    regions,
)
from avatar.eval.reenact_report import SHEET, write_reenact_report
from avatar.expression.channels import CHANNEL_INDEX, EXPRESSION_DIM
from avatar.portrait import default_avatar
from avatar.video import VideoWriter
from avatar.video.reader import read_frames

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "capture" / "roundtrip.mp4"
SECONDS = 3.0  # of the fixture: its rest, then speech with a blink and a smile
# Measured on this clip (aperture r 0.72, lip NME 0.034, mouth PSNR 23.6 dB / SSIM 0.69, face
# 24.1 dB / 0.73; with the jaw opening at random: r 0.23, NME 0.057, mouth 19.2 dB / 0.58); bars
# with margin.
GOOD = {
    "aperture_r": 0.55,
    "lip_nme": 0.06,
    "mouth_psnr": 21.0,
    "mouth_ssim": 0.6,
    "face_psnr": 21.5,
    "face_ssim": 0.63,
}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """The first SECONDS of the round-trip fixture (the whole clip takes twice as long)."""
    path = tmp_path_factory.mktemp("reenact") / "rendered.mp4"
    with VideoWriter(path, 256, crf=18) as writer:
        for t, rgb in read_frames(FIXTURE):
            if t < SECONDS - 1e-6:
                writer.write(rgb)
    return path


@pytest.fixture(scope="module")
def captured():
    """capture, run once per neutral frame and clip for both drives."""
    return functools.cache(capture)


def _random_mouth(captured):
    """The wrong drive: the clip's own head motion, but a still face whose jaw opens at random."""

    def drive(video, neutral_frame):
        anim = captured(video, neutral_frame=neutral_frame)
        expression = np.zeros_like(anim.expression)
        expression[:, CHANNEL_INDEX["jawOpen"]] = np.random.default_rng(0).uniform(0.0, 0.6, len(expression))
        return dataclasses.replace(anim, expression=expression)

    return drive


@pytest.fixture(scope="module")
def runs(clip, captured):
    # the fixture was drawn by the procedural mouth: reenacting it with that renderer is the exact check
    cfg = load_config({"render.mouth": "procedural"}, env={})
    results, pairs = evaluate_reenact([clip], cfg, drive=captured)
    wrong = reenact_clip(clip, cfg, drive=_random_mouth(captured))
    return results, pairs, wrong.summary


def test_lip_points_are_mediapipes_40() -> None:
    import mediapipe as mp

    lips = {i for edge in mp.solutions.face_mesh.FACEMESH_LIPS for i in edge}
    assert len(LIP_POINTS) == 40 and set(LIP_POINTS) == lips


def test_nearest_frames() -> None:
    video = np.arange(10) / 25.0  # 25 fps frames onto a 30 fps grid
    grid = np.arange(12) / 30.0
    want = [int(np.argmin(np.abs(video - g))) for g in grid]
    assert nearest_frames(video, grid).tolist() == want
    assert nearest_frames(np.array([0.0, 0.5]), np.array([0.2, 0.3, 9.0])).tolist() == [0, 1, 1]


def test_fit_similarity_recovers_a_known_transform() -> None:
    points = np.random.default_rng(1).uniform(0, 200, (5, 2))
    angle, scale, shift = 0.2, 1.7, np.array([12.0, -30.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = fit_similarity(points, points @ rot.T + shift)
    np.testing.assert_allclose(matrix, np.hstack([rot, shift[:, None]]), atol=1e-9)
    mirrored = points * [-1.0, 1.0]  # no reflection: the fit stays a rotation
    assert np.linalg.det(fit_similarity(points, mirrored)[:, :2]) > 0


def test_drive_keeps_the_photos_own_expression() -> None:
    neutral = np.zeros(EXPRESSION_DIM, np.float32)
    jaw, blink = CHANNEL_INDEX["jawOpen"], CHANNEL_INDEX["eyeBlinkLeft"]
    neutral[jaw], neutral[blink] = 0.1, 0.4
    still = drive_expression(np.zeros((2, EXPRESSION_DIM), np.float32), neutral)
    np.testing.assert_allclose(still, np.stack([neutral, neutral]))  # the neutral frame is the photo
    moved = np.zeros((1, EXPRESSION_DIM), np.float32)
    moved[0, jaw], moved[0, blink] = 0.3, 1.0
    out = drive_expression(moved, neutral)[0]
    assert out[jaw] == pytest.approx(0.4) and out[blink] == pytest.approx(1.0)  # a full blink shuts


def test_regions_hold_the_lips_inside_the_face() -> None:
    avatar = default_avatar()
    lm = avatar.landmarks * (256 / avatar.image.shape[0])
    box, mouth, face = regions(lm, 256)
    lips = np.round(lm[list(LIP_POINTS), :2]).astype(int)
    assert mouth[lips[:, 1], lips[:, 0]].all() and face[lips[:, 1], lips[:, 0]].all()
    assert 0 < mouth.sum() < 0.5 * face.sum()
    x0, y0, x1, y1 = box
    assert face[:, :x0].sum() == face[:, x1:].sum() == face[:y0].sum() == face[y1:].sum() == 0


@pytest.mark.slow
def test_own_capture_reenacts_the_clip_closely(runs) -> None:
    results, _, _ = runs
    clip = results["clips"][0]
    assert results["skipped"] == [] and clip["frames"] == clip["frames_compared"] == round(SECONDS * 30)
    for key, bar in GOOD.items():
        ok = clip[key] < bar if key == "lip_nme" else clip[key] > bar
        assert ok, f"{key} {clip[key]} vs bar {bar}"
    assert results["mean"] == {k: clip[k] for k in METRICS}
    json.dumps(results)  # every figure is JSON-ready


@pytest.mark.slow
def test_a_wrong_mouth_scores_clearly_worse(runs) -> None:
    results, _, wrong = runs
    good = results["clips"][0]
    assert wrong["aperture_r"] < good["aperture_r"] - 0.3
    assert wrong["lip_nme"] > 1.3 * good["lip_nme"]
    assert wrong["mouth_psnr"] < good["mouth_psnr"] - 2.5
    assert wrong["mouth_ssim"] < good["mouth_ssim"] - 0.06


@pytest.mark.slow
def test_report_and_contact_sheet(runs, tmp_path) -> None:
    from PIL import Image

    results, pairs, _ = runs
    page = write_reenact_report(results, pairs, tmp_path / "rep").read_text()
    assert "rendered" in page and "data:image/png;base64" in page and f'src="{SHEET}"' in page
    shown = pairs["rendered"]
    assert 1 <= len(shown) <= 4
    # the sheet shows the widest openings, of the measured real curve
    real = np.array([np.nan if v is None else v for v in results["clips"][0]["real_aperture"]])
    assert min(p.aperture for p in shown) >= np.nanpercentile(real, 75)
    with Image.open(tmp_path / "rep" / SHEET) as sheet:
        assert sheet.width > 4 * shown[0].real.shape[1] and sheet.height > shown[0].real.shape[0]


def test_unusable_clips_are_skipped_with_a_reason(tmp_path) -> None:
    blank = tmp_path / "blank.mp4"
    with VideoWriter(blank, 64) as writer:
        for _ in range(5):
            writer.write(np.full((64, 64, 3), 128, np.uint8))
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    seen = []
    results, pairs = evaluate_reenact(
        [blank, text, tmp_path / "missing.mp4"], load_config(env={}), progress=lambda *a: seen.append(a)
    )
    assert results["clips"] == [] and pairs == {}
    reasons = [s["error"] for s in results["skipped"]]
    assert "no face" in reasons[0] and "cannot read video" in reasons[1] and "not a file" in reasons[2]
    assert all("\n" not in r for r in reasons)
    assert [s[0] for s in seen] == [1, 2, 3] and all(s[3] is None for s in seen)
    assert results["mean"] == dict.fromkeys(METRICS)
