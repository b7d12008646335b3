"""Enrolling real portraits: framing, landmarks, metadata, and the cache."""

import json
import math
import time

import numpy as np
import pytest
from PIL import Image

from avatar.portrait import default_avatar, enroll, enroll_or_load, load_avatar
from avatar.portrait import facemesh as facemesh_module
from avatar.portrait.align import CROP_SIZE, EYE_CENTER, EYE_DISTANCE
from avatar.portrait.facemesh import eye_distance, eyes_open, inner_lip_gap

META_KEYS = {
    "format", "name", "source", "sha256", "source_size", "face_box", "faces_found", "padding",
    "mouth_open", "eyes_open", "eye_distance_source", "landmarks_from", "enrolled", "matrix",
}  # fmt: skip


def assert_canonical(avatar):
    """Eyes level within 1°, 0.26 x 512 apart within 3 px, midpoint at (0.5, 0.4) x 512 within 3 px."""
    assert avatar.image.shape == (CROP_SIZE, CROP_SIZE, 3) and avatar.image.dtype == np.uint8
    lm = avatar.landmarks
    assert lm.shape == (478, 3) and lm.dtype == np.float32
    assert (lm[:, :2] >= 0).all() and (lm[:, :2] < CROP_SIZE).all()
    left, right = lm[33, :2], lm[263, :2]
    dx, dy = right - left
    assert abs(math.degrees(math.atan2(dy, dx))) < 1.0
    assert eye_distance(lm) == pytest.approx(EYE_DISTANCE * CROP_SIZE, abs=3.0)
    np.testing.assert_allclose((left + right) / 2, np.array(EYE_CENTER) * CROP_SIZE, atol=3.0)
    assert avatar.meta["landmarks_from"] == "crop"  # the face mesh found the face again in the crop
    assert avatar.meta.keys() >= META_KEYS
    assert avatar.meta["mouth_open"] == pytest.approx(inner_lip_gap(lm), abs=1e-4)
    assert avatar.meta["eyes_open"] == pytest.approx(eyes_open(lm), abs=1e-4)


def test_default_avatar_is_the_astronaut(home):
    avatar = default_avatar()
    assert avatar.name == "astronaut"
    assert_canonical(avatar)
    meta = avatar.meta
    assert meta["source"] == "skimage.data.astronaut()" and meta["faces_found"] == 1
    assert meta["source_size"] == [512, 512] and meta["padding"] == 0.0
    assert 0.05 < meta["mouth_open"] < 0.25  # she smiles with her teeth showing
    assert 0.2 < meta["eyes_open"] < 0.4
    folder = home / "avatars" / "astronaut"
    assert sorted(p.name for p in folder.iterdir()) == ["image.png", "landmarks.npy", "meta.json"]
    assert json.loads((folder / "meta.json").read_text()) == meta


def test_grace_hopper(grace, home):
    avatar = enroll(grace)
    assert avatar.name == "grace_hopper"
    assert_canonical(avatar)
    meta = avatar.meta
    assert meta["source"] == "grace_hopper.jpg" and meta["source_size"] == [512, 600]
    x0, y0, x1, y1 = meta["face_box"]
    assert 120 < x0 < x1 < 400 and 80 < y0 < y1 < 400
    assert meta["mouth_open"] < 0.03  # lips closed
    assert 0.2 < meta["eyes_open"] < 0.4
    # What is stored is what was returned.
    again = load_avatar("grace_hopper")
    np.testing.assert_array_equal(again.image, avatar.image)
    np.testing.assert_array_equal(again.landmarks, avatar.landmarks)
    assert again.meta == meta


def test_cache_hit_runs_no_face_mesh(grace, monkeypatch):
    first, cached = enroll_or_load(grace)
    assert not cached

    def boom(rgb):
        raise AssertionError("face mesh ran on a cache hit")

    monkeypatch.setattr(facemesh_module, "detect_faces", boom)
    start = time.perf_counter()
    second, cached = enroll_or_load(grace)
    assert cached and time.perf_counter() - start < 0.5
    np.testing.assert_array_equal(second.landmarks, first.landmarks)
    assert second.meta["enrolled"] == first.meta["enrolled"]


def test_default_avatar_is_cached(monkeypatch):
    default_avatar()
    monkeypatch.setattr(facemesh_module, "detect_faces", lambda rgb: pytest.fail("face mesh ran"))
    assert default_avatar().name == "astronaut"
    assert load_avatar("astronaut").name == "astronaut"


def test_default_avatar_re_enrolled_when_its_cache_is_gone(home):
    default_avatar()
    (home / "avatars" / "astronaut" / "image.png").unlink()
    assert default_avatar().image.shape == (512, 512, 3)
    assert (home / "avatars" / "astronaut" / "image.png").exists()


def test_same_name_new_photo_replaces(grace, astronaut_png, avatar_log):
    enroll(grace, name="me")
    avatar, cached = enroll_or_load(astronaut_png, name="me")
    assert not cached and avatar.meta["source"] == "eileen.png"
    assert "replacing avatar 'me'" in avatar_log.text
    assert load_avatar("me").meta["source"] == "eileen.png"


def test_same_photo_other_name_is_a_new_avatar(grace):
    enroll(grace)
    _, cached = enroll_or_load(grace, name="admiral")
    assert not cached


def test_two_faces_uses_the_largest(astronaut, grace_rgb, tmp_path, avatar_log):
    small = np.asarray(Image.fromarray(astronaut[20:320, 75:375]).resize((200, 200), Image.LANCZOS))
    large = np.asarray(Image.fromarray(grace_rgb[60:420, 80:440]).resize((300, 300), Image.LANCZOS))
    for order in ("small-left", "large-left"):
        canvas = np.full((300, 500, 3), 200, np.uint8)
        if order == "small-left":
            canvas[:200, :200], canvas[:, 200:] = small, large
        else:
            canvas[:, :300], canvas[:200, 300:] = large, small
        path = tmp_path / f"{order}.png"
        Image.fromarray(canvas).save(path)
        avatar = enroll(path)
        assert avatar.meta["faces_found"] == 2
        x0, _, x1, _ = avatar.meta["face_box"]
        centre = (x0 + x1) / 2
        assert (centre > 200) if order == "small-left" else (centre < 300)  # Grace Hopper's face
        assert_canonical(avatar)
    assert "2 faces found" in avatar_log.text and "using the largest" in avatar_log.text


def test_portrait_at_the_edge_is_padded(astronaut, tmp_path):
    path = tmp_path / "edge.png"
    Image.fromarray(astronaut[40:, 150:]).save(path)  # her face near the top-left corner
    avatar = enroll(path)
    assert_canonical(avatar)
    assert 0.05 < avatar.meta["padding"] < 0.9


def test_large_photo_is_area_downscaled(astronaut, tmp_path):
    path = tmp_path / "big.jpg"
    Image.fromarray(astronaut).resize((2048, 2048), Image.BICUBIC).save(path, quality=90)
    avatar = enroll(path)
    assert_canonical(avatar)
    assert avatar.meta["eye_distance_source"] == pytest.approx(4 * 60.6, rel=0.05)
