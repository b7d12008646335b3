"""avatar.data.capture: a folder of real clips -> per-clip labels and a manifest, resumable."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from avatar.audio.clock import FPS, SAMPLE_RATE
from avatar.data import capture as labeller
from avatar.data import files
from avatar.data.capture import FAILED, KEYS, MANIFEST, SUMMARY, label
from avatar.errors import AvatarError, OutputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHIFT = 4  # frames the sound of late4.mp4 comes after its mouth (scripts/make_sync_fixture.py)


def rows(out: Path) -> dict[str, dict]:
    return {r["name"]: r for r in map(json.loads, (out / MANIFEST).read_text().splitlines())}


def summary(out: Path) -> dict:
    return json.loads((out / SUMMARY).read_text())


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """Two good clips, in sync and late, among bad files and files that are not videos at all."""
    folder = tmp_path_factory.mktemp("clips")
    shutil.copy(FIXTURES / "sync" / "insync.mp4", folder / "insync.mp4")
    (folder / "speaker2").mkdir()
    shutil.copy(FIXTURES / "sync" / "late4.mp4", folder / "speaker2" / "late4.mp4")
    shutil.copy(FIXTURES / "capture" / "roundtrip.mp4", folder / "silent.mp4")  # a face, no sound
    shutil.copy(FIXTURES / "pauses.wav", folder / "voice.mkv")  # sound, no picture
    (folder / "speaker2" / "notes.mov").write_text("not a video")
    (folder / "readme.txt").write_text("ignored: not a video extension")
    return folder


@pytest.fixture(scope="module")
def labelled(clips, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("labels") / "set"
    label(clips, out, progress=False)
    return out


def test_every_video_gets_a_row_and_only_videos(labelled):
    assert set(rows(labelled)) == {"insync", "speaker2/late4", "silent", "voice", "speaker2/notes"}
    assert summary(labelled)["labelled"] == 2


def test_the_in_sync_clip_has_no_offset(labelled):
    row = rows(labelled)["insync"]
    assert abs(row["offset_frames"]) <= 1 and row["offset_z"] >= 3
    assert row["flags"] == [] and row["face_share"] == 1.0
    assert row["seconds"] == pytest.approx(3.48, abs=0.05) and row["frames"] == round(row["seconds"] * FPS)


def test_the_late_clip_is_measured_and_flagged(labelled):
    row = rows(labelled)["speaker2/late4"]
    assert abs(row["offset_frames"] - SHIFT) <= 1
    assert row["offset_ms"] == pytest.approx(1000 * row["offset_frames"] / FPS, abs=0.1)
    assert row["flags"] == ["offset"]


def test_the_labels_hold_what_training_needs(labelled, clips):
    with np.load(labelled / "speaker2" / "late4.npz", allow_pickle=False) as data:
        assert set(KEYS) <= set(data.files)
        t = len(data["expression"])
        assert data["expression"].shape == (t, 64) and data["head"].shape == (t, 3)
        assert data["gaze"].shape == (t, 2) and data["face_found"].dtype == bool
        assert data["confidence"].shape == (t,) and 0 <= data["confidence"].min() <= 1
        assert data["audio"].dtype == np.float32
        assert abs(len(data["audio"]) / SAMPLE_RATE - t / FPS) < 0.05
        assert int(data["fps"]) == FPS and str(data["source"]) == "speaker2/late4.mp4"
        assert int(data["offset_frames"]) == rows(labelled)["speaker2/late4"]["offset_frames"]
        assert np.isfinite(float(data["offset_z"]))


def test_bad_files_are_listed_with_the_reason(labelled):
    found = rows(labelled)
    assert "no audio" in found["silent"]["error"]
    assert "no video" in found["voice"]["error"]
    assert found["speaker2/notes"]["error"]
    for name in ("silent", "voice", "speaker2/notes"):
        assert found[name]["flags"] == ["failed"] and "\n" not in found[name]["error"]
    assert summary(labelled)["flags"] == {"failed": 3, "offset": 1}


def test_a_rerun_skips_what_is_done(labelled, clips, tmp_path, monkeypatch):
    out = tmp_path / "set"
    shutil.copytree(labelled, out)
    monkeypatch.setattr(labeller, "label_clip", lambda clip: pytest.fail(f"{clip.name} labelled again"))
    label(clips, out, progress=False)
    assert summary(out)["labelled_this_run"] == 0
    assert rows(out) == rows(labelled)


def test_new_thresholds_reflag_without_capturing_again(labelled, clips, tmp_path, monkeypatch):
    out = tmp_path / "set"
    shutil.copytree(labelled, out)
    monkeypatch.setattr(labeller, "label_clip", lambda clip: pytest.fail(f"{clip.name} labelled again"))
    label(clips, out, progress=False, max_offset=SHIFT + 1)
    assert rows(out)["speaker2/late4"]["flags"] == []
    assert summary(out)["max_offset_frames"] == SHIFT + 1


def test_labels_of_an_older_estimator_are_measured_again(labelled, clips, tmp_path, monkeypatch):
    out = tmp_path / "set"
    shutil.copytree(labelled, out)
    with np.load(out / "insync.npz") as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["sync_version"]  # as written before versions were kept
    arrays |= {"meta": np.str_(json.dumps(meta | {"offset_frames": 9})), "offset_frames": np.int16(9)}
    files.save_npz(out / "insync.npz", arrays)
    monkeypatch.setattr(labeller, "label_clip", lambda clip: pytest.fail(f"{clip.name} captured again"))
    label(clips, out, progress=False)
    assert rows(out)["insync"] == rows(labelled)["insync"]
    with np.load(out / "insync.npz") as data:
        assert int(data["offset_frames"]) == rows(labelled)["insync"]["offset_frames"]
        np.testing.assert_array_equal(data["expression"], arrays["expression"])


@pytest.mark.slow
def test_a_half_written_or_stale_output_is_redone(labelled, clips, tmp_path):
    out = tmp_path / "set"
    shutil.copytree(labelled, out)
    (out / "insync.npz").write_bytes((labelled / "insync.npz").read_bytes()[:5000])  # torn
    label(clips, out, progress=False)
    assert summary(out)["labelled_this_run"] == 1
    assert rows(out)["insync"] == rows(labelled)["insync"]
    with np.load(out / "insync.npz") as data:
        assert set(KEYS) <= set(data.files)
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
def test_a_changed_file_is_tried_again(labelled, clips, tmp_path):
    out = tmp_path / "set"
    shutil.copytree(labelled, out)
    fixed = tmp_path / "clips"
    shutil.copytree(clips, fixed)  # copy2 keeps sizes and times, so the labelled clips still match
    shutil.copy(FIXTURES / "sync" / "insync.mp4", fixed / "speaker2" / "notes.mov")  # now a video
    label(fixed, out, progress=False)
    found = rows(out)
    assert "error" not in found["speaker2/notes"] and abs(found["speaker2/notes"]["offset_frames"]) <= 1
    assert summary(out)["labelled_this_run"] == 1
    failed = [json.loads(line)["name"] for line in (out / FAILED).read_text().splitlines()]
    assert failed == ["silent", "voice"]  # the journal holds what still fails, nothing stale


def test_bad_arguments_are_one_line_errors(clips, tmp_path):
    with pytest.raises(AvatarError, match="is not a folder"):
        label(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AvatarError, match="no videos"):
        label(tmp_path / "empty", tmp_path / "out")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "thesis.tex").write_text("x")
    with pytest.raises(OutputError, match="holds other files"):
        label(clips, tmp_path / "theirs")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="a file is in the way"):
        label(clips, tmp_path / "file")
    with pytest.raises(AvatarError, match="--jobs"):
        label(clips, tmp_path / "out", jobs=0)
