import csv
import json

import numpy as np
import pytest

from avatar.animation import Animation
from avatar.errors import OutputError
from avatar.export import read_json, read_livelink_csv, save_animation
from avatar.export.livelink_csv import BLENDSHAPE_COUNT, HEADER, timecode
from avatar.expression import ARKIT_BLENDSHAPES, CHANNELS


@pytest.fixture
def anim():
    rng = np.random.default_rng(0)
    n = 45
    head = np.stack([np.linspace(-5, 5, n), np.linspace(10, -10, n), np.zeros(n)], 1)
    gaze = np.stack([np.full(n, 3.0), np.full(n, -2.0)], 1)
    return Animation(rng.random((n, 64), dtype=np.float32), 30, head, gaze)


def test_livelink_layout_and_round_trip(tmp_path, anim):
    path = save_animation(anim, tmp_path / "take.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft"]
    assert len(rows[0]) == 2 + 61 == len(HEADER) and BLENDSHAPE_COUNT == 61
    assert rows[0][2 + 17] == "JawOpen" and rows[0][2 + 51] == "TongueOut" and rows[0][2 + 52] == "HeadYaw"
    assert [h.lower() for h in rows[0][2:54]] == [n.lower() for n in ARKIT_BLENDSHAPES]
    assert len(rows) == 1 + anim.num_frames
    assert rows[1][:2] == ["00:00:00:00.000", "61"] and rows[31][0] == "00:00:01:00.000"
    back = read_livelink_csv(path)
    np.testing.assert_allclose(back.expression[:, :52], anim.expression[:, :52], atol=1e-4)
    np.testing.assert_allclose(back.head, anim.head, atol=1e-3)
    np.testing.assert_allclose(back.gaze, anim.gaze, atol=1e-3)
    assert float(rows[1][2 + 52]) == pytest.approx(np.deg2rad(10.0), abs=1e-4)  # HeadYaw in radians


def test_json_layout_and_round_trip(tmp_path, anim):
    path = save_animation(anim, tmp_path / "take.json", source="x.wav")
    data = json.loads(path.read_text())
    assert data["fps"] == 30 and data["num_frames"] == 45 and data["names"] == list(CHANNELS)
    assert data["source"] == "x.wav" and len(data["frames"][0]) == 64
    assert data["head"]["units"] == "degrees" and "lipSeal" in data["articulators"]
    back = read_json(path)
    np.testing.assert_allclose(back.expression, anim.expression, atol=1e-4)
    np.testing.assert_allclose(back.head, anim.head, atol=1e-3)


def test_timecode():
    assert timecode(0, 30) == "00:00:00:00.000"
    assert timecode(30 * 3661 + 5, 30) == "01:01:01:05.000"


@pytest.mark.parametrize(
    ("name", "message"),
    [("take.mp4", "unsupported output format"), ("missing/take.csv", "does not exist"), ("", "")],
)
def test_bad_output_paths(tmp_path, anim, name, message):
    target = tmp_path / name if name else tmp_path  # "" -> the folder itself
    with pytest.raises(OutputError, match=message or "directory|format"):
        save_animation(anim, target)
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_failed_write_leaves_no_file(tmp_path, anim):
    with pytest.raises(OutputError):
        save_animation(anim, "/proc/take.csv")  # /proc exists but takes no new files


def test_animation_shape_checks():
    with pytest.raises(ValueError, match="64"):
        Animation(np.zeros((3, 52)), 30)
    a = Animation(np.zeros((3, 64)), 30)
    assert a.head.shape == (3, 3) and a.gaze.shape == (3, 2) and a.duration == pytest.approx(0.1)


def test_json_keeps_face_found(tmp_path, anim):
    assert "face_found" not in json.loads(save_animation(anim, tmp_path / "speech.json").read_text())
    found = np.arange(anim.num_frames) % 7 != 3
    captured = Animation(anim.expression, 30, anim.head, anim.gaze, face_found=found)
    back = read_json(save_animation(captured, tmp_path / "take.json"))
    np.testing.assert_array_equal(back.face_found, found)
    with pytest.raises(ValueError, match="face_found"):
        Animation(anim.expression, 30, face_found=found[:-1])


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_capture_flags_and_confidence_round_trip(tmp_path, anim, suffix):
    found = np.arange(anim.num_frames) % 4 != 0
    conf = np.where(found, np.linspace(0.2, 0.9, anim.num_frames), 0.0).astype(np.float32)
    captured = Animation(anim.expression, anim.fps, anim.head, anim.gaze, face_found=found, confidence=conf)
    back = (read_livelink_csv if suffix == ".csv" else read_json)(
        save_animation(captured, tmp_path / f"c{suffix}")
    )
    assert np.array_equal(back.face_found, found)
    assert np.allclose(back.confidence, conf, atol=1e-3)
    if suffix == ".csv":  # the app's 61 values come first, as its importers expect
        with open(tmp_path / "c.csv") as f:
            header = next(csv.reader(f))
        assert tuple(header[: len(HEADER)]) == HEADER and header[len(HEADER) :] == ["FaceFound", "Confidence"]


def test_speech_animation_csv_has_no_capture_columns(tmp_path, anim):
    with open(save_animation(anim, tmp_path / "s.csv")) as f:
        assert tuple(next(csv.reader(f))) == HEADER
