"""The data set on disk: files, manifest, label lengths, determinism, caching, errors, CLI."""

import json
import os
import shutil

import numpy as np
import pytest
import soundfile as sf

from avatar.audio import FrameClock
from avatar.cli import main
from avatar.data import synth
from avatar.data.labels import PHONE_LABELS
from avatar.errors import AvatarError, OutputError

from .conftest import HOURS, SEED

FIELDS = {
    "id", "split", "language", "voice", "rate", "pitch", "text", "config", "duration", "samples",
    "speech_s", "label_method", "augmentation", "audio", "labels",
}  # fmt: skip


def _manifest(folder):
    return [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]


def _files(folder):
    """Relative path -> bytes of everything the data set consists of (not the run summary)."""
    names = ["manifest.jsonl", "dropped.jsonl"]
    names += [f"{sub}/{p.name}" for sub in ("audio", "labels") for p in sorted((folder / sub).iterdir())]
    return {name: (folder / name).read_bytes() for name in names}


@pytest.mark.needs_tts
def test_files_and_manifest(dataset):
    records = _manifest(dataset)
    assert len(records) == 2
    summary = json.loads((dataset / "synth.json").read_text())
    assert summary["utterances"] == 2 and summary["audio_hours"] * 3600 >= HOURS * 3600 - 1
    assert {r["label_method"] for r in records} == {"espeak-events", "pocketsphinx-align"}
    for r in records:
        assert set(r) == FIELDS
        assert r["split"] in ("train", "val") and r["config"] == summary["config_hash"]
        audio, rate = sf.read(dataset / r["audio"], dtype="float32")
        assert rate == 16000 and audio.ndim == 1 and len(audio) == r["samples"]
        assert abs(r["duration"] - len(audio) / 16000) < 1e-3
        aug = r["augmentation"]
        assert 0.9 <= aug["speed"] <= 1.1 and -20.0 <= aug["gain_db"] <= 6.0
        if aug["noise"] is not None:
            assert 5.0 <= aug["noise"]["snr_db"] <= 30.0
    assert records[0]["voice"] == "espeak-ng:es-419+f3" and records[0]["split"] == "val"
    assert sorted(p.name for p in dataset.iterdir()) == [
        ".journal.jsonl", "audio", "dropped.jsonl", "labels", "manifest.jsonl", "synth.json",
    ]  # fmt: skip


@pytest.mark.needs_tts
def test_label_lengths_and_segments(dataset):
    for r in _manifest(dataset):
        labels = np.load(dataset / r["labels"])
        phones, targets = labels["phones50"], labels["targets30"]
        assert phones.dtype == np.int16 and targets.dtype == np.float16
        assert abs(len(phones) - round(r["duration"] * 50)) <= 1
        assert targets.shape == (FrameClock().num_frames(r["samples"]), 64)
        assert phones.min() >= 0 and phones.max() < len(PHONE_LABELS)
        assert np.all(np.isfinite(targets)) and targets.min() >= 0 and targets.max() <= 1
        # segments tile the clip and carry the same phones as the 50 Hz track
        start, end, seg = labels["seg_start"], labels["seg_end"], labels["seg_phone"]
        assert start[0] == 0 and end[-1] == r["samples"] and np.array_equal(start[1:], end[:-1])
        middle = (np.arange(len(phones)) + 0.5) * 320
        same = phones == seg[np.searchsorted(end, middle, side="right")]
        # The 50 Hz track is cut at the exact phone times, the segments at whole samples: a frame
        # whose middle lies within a sample of a boundary may fall either side.
        near = np.abs(middle[:, None] - end[None, :]).min(axis=1) <= 1.0
        assert np.all(same | near)
        assert (phones != PHONE_LABELS.index("SIL")).mean() > 0.3  # there is speech in there


@pytest.mark.needs_tts
def test_mouth_is_shut_in_silence(dataset):
    """Targets are all zero in the inserted non-speech and the leading silence (ramps aside)."""
    ramp_in, ramp_out = 0.14, 0.22  # 3 x carry-over (45 ms), 3 x anticipation (70 ms)
    checked = 0
    for r in _manifest(dataset):
        targets = np.load(dataset / r["labels"])["targets30"].astype(np.float32)
        centres = FrameClock().frame_centers(len(targets))
        aug = r["augmentation"]
        spans = [(-1.0, aug["lead_s"] - ramp_out)]
        spans += [(i["start"] / 16000 + ramp_in, i["end"] / 16000 - ramp_out) for i in aug["inserts"]]
        for a, b in spans:
            inside = (centres > a) & (centres < b)
            assert np.all(targets[inside] == 0.0), (r["id"], a, b)
            checked += inside.sum()
    assert checked > 10


@pytest.mark.slow
@pytest.mark.needs_tts
def test_deterministic_for_a_seed_whatever_the_jobs(dataset, tmp_path, cfg):
    again = tmp_path / "again"
    synth(HOURS, again, SEED, jobs=2, progress=False, cfg=cfg)
    assert _files(again) == _files(dataset)
    other = tmp_path / "other"
    synth(HOURS, other, SEED + 1, jobs=1, progress=False, languages="de", cfg=cfg)
    assert _manifest(other)[0]["text"] != _manifest(dataset)[0]["text"]


@pytest.mark.needs_tts
def test_rerun_is_cached_and_more_hours_extend(dataset, tmp_path, cfg):
    folder = tmp_path / "copy"
    shutil.copytree(dataset, folder)
    before = _files(folder)
    mtimes = {p: os.stat(folder / p).st_mtime_ns for p in before if "/" in p}
    synth(HOURS, folder, SEED, jobs=1, progress=False, cfg=cfg)
    assert json.loads((folder / "synth.json").read_text())["made_this_run"] == 0
    assert _files(folder) == before
    assert all(os.stat(folder / p).st_mtime_ns == t for p, t in mtimes.items())

    more = (sum(r["duration"] for r in _manifest(folder)) + 1.0) / 3600  # a second more: one utterance
    synth(more, folder, SEED, jobs=1, progress=False, cfg=cfg)
    records = _manifest(folder)
    assert len(records) == 3 and records[:2] == _manifest(dataset)
    assert json.loads((folder / "synth.json").read_text())["made_this_run"] == 1


@pytest.mark.needs_tts
def test_folder_with_other_settings_is_refused(dataset, tmp_path, cfg):
    folder = tmp_path / "copy"
    shutil.copytree(dataset, folder)
    with pytest.raises(OutputError, match="other settings"):
        synth(HOURS, folder, SEED + 5, jobs=1, progress=False, cfg=cfg)


def test_bad_arguments(tmp_path):
    for hours in (0, -1, float("nan"), float("inf"), 1e9):
        with pytest.raises(AvatarError, match="--hours"):
            synth(hours, tmp_path / "x", 0, progress=False)
    with pytest.raises(AvatarError, match="unknown language xx"):
        synth(0.01, tmp_path / "x", 0, languages="en,xx", progress=False)
    with pytest.raises(AvatarError, match="--jobs"):
        synth(0.01, tmp_path / "x", 0, jobs=0, progress=False)


def test_unwritable_or_foreign_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        synth(0.01, tmp_path / "file", 0, progress=False)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(OutputError, match="holds other files"):
        synth(0.01, tmp_path / "mine", 0, progress=False)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_folder(read_only_folder):
    with pytest.raises(OutputError, match="cannot write"):
        synth(0.01, read_only_folder / "set", 0, progress=False)


def test_read_only_folder_even_as_root(read_only_folder, unprivileged):
    """The test above, which root skips, in a process held to the folder's mode even as root."""
    code = """if True:
        import sys
        from pathlib import Path
        from avatar.data import synth
        from avatar.errors import OutputError
        try:
            synth(0.01, Path(sys.argv[1]), 0, progress=False)
        except OutputError as exc:
            print(exc)
    """
    done = unprivileged(code, str(read_only_folder / "set"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"cannot write the data set to {read_only_folder / 'set'}: Permission denied\n"
    assert not any(read_only_folder.iterdir())


def test_missing_tool_names_its_package(tmp_path, monkeypatch):
    from avatar.data import espeak, voices

    monkeypatch.setattr(espeak, "version", lambda: "1.51")
    real_which = shutil.which
    monkeypatch.setattr(voices.shutil, "which", lambda name: None if name == "flite" else real_which(name))
    with pytest.raises(AvatarError, match=r"flite is not installed \(apt-get install flite\)"):
        synth(0.01, tmp_path / "x", 0, progress=False)
    espeak.library_path.cache_clear()
    monkeypatch.setattr(espeak.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(AvatarError, match=r"apt-get install libespeak-ng1"):
        espeak.library_path()
    espeak.library_path.cache_clear()


@pytest.mark.needs_tts
def test_command_line(dataset, tmp_path, capsys):
    folder = tmp_path / "copy"
    shutil.copytree(dataset, folder)
    argv = ["data", "synth", "--hours", str(HOURS), "--out", str(folder), "--seed", str(SEED), "--jobs", "1"]
    assert main(argv) == 0
    assert "2 utterances" in capsys.readouterr().err


def test_command_line_bad_hours_is_one_line(tmp_path, capsys):
    assert main(["data", "synth", "--hours", "-2", "--out", str(tmp_path / "x"), "--jobs", "1"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "--hours" in lines[0], lines
