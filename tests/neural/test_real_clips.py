"""Real clips as training data: offsets undone, flags obeyed, people split and normalised, mixed in.

The labelled folders are made here in `avatar data capture`'s layout from the committed TTS
fixtures, with the phonetic animator's curves standing in for captured faces (tests never read
../shared/data).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from avatar.config import RealSourceConfig, load_config, load_train_config
from avatar.data import files
from avatar.errors import AvatarError
from avatar.expression.channels import CHANNEL_INDEX
from avatar.lipsync import PhoneticLipSync
from avatar.models import read_checkpoint
from avatar.neural.real_clips import SUPERVISED, family_amounts, load_real, load_source, mouth_shape_weights
from avatar.neural.train import train
from avatar.pipeline import prepare_audio

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
JAW = CHANNEL_INDEX["jawOpen"]


def _label(folder: Path, name: str, audio: np.ndarray, expression: np.ndarray, offset: int, flags=()) -> None:
    """One clip in the labeller's layout; ``offset`` frames of late sound are put into the audio."""
    shift = round(offset * 16000 / 30)
    late = np.concatenate([np.zeros(shift, np.float32), audio[: len(audio) - shift]])
    n = len(expression)
    confidence = np.full(n, 0.9, np.float32)
    found = np.ones(n, bool)
    found[:3] = False
    files.save_npz(
        folder / f"{name}.npz",
        {
            "audio": late,
            "expression": expression,
            "head": np.zeros((n, 3), np.float32),
            "gaze": np.zeros((n, 2), np.float32),
            "face_found": found,
            "confidence": confidence,
            "fps": np.int16(30),
            "offset_frames": np.int16(offset),
            "meta": np.str_("{}"),
        },
    )
    row = {"name": name, "source": f"{name}.mp4", "npz": f"{name}.npz", "offset_frames": offset}
    with open(folder / "manifest.jsonl", "a") as f:
        f.write(json.dumps(row | {"flags": list(flags)}) + "\n")


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """Two folders: 'studio' (one person, 3 clips) and 'wild' (4 clips, two of one person, one flagged)."""
    cfg = load_config(env={})
    lipsync = PhoneticLipSync(cfg)
    clips = {}
    for name in ("bilabial", "espeak", "pauses"):
        audio = prepare_audio(FIXTURES / f"{name}.wav", cfg)
        clips[name] = (audio, lipsync(audio, (FIXTURES / f"{name}.txt").read_text()).expression)
    root = tmp_path_factory.mktemp("labels")
    studio, wild = root / "studio", root / "wild"
    studio.mkdir()
    wild.mkdir()
    for name, (audio, expression) in clips.items():
        _label(studio, f"s_{name}", audio, expression, offset=2, flags=["offset"] if name == "espeak" else [])
    for k, (name, scale) in enumerate((("bilabial", 0.5), ("espeak", 0.5), ("pauses", 1.0), ("espeak", 1.0))):
        audio, expression = clips[name]
        _label(wild, f"w{k}", audio, expression * scale, offset=k % 2, flags=["weak_sync"] if k == 3 else [])
    return studio, wild


def _sources(studio: Path, wild: Path, **wild_options) -> list[RealSourceConfig]:
    return [
        RealSourceConfig(dir=str(studio), weight=0.5, speaker="studio", pooled_offset=True, dev=["s_pauses"]),
        RealSourceConfig(
            dir=str(wild), weight=0.5, groups={"quiet": ["w0", "w1"]}, **({"dev": ["w2"]} | wild_options)
        ),
    ]


def test_offsets_are_undone_and_flagged_clips_left_out(labelled):
    studio, wild = labelled
    clips = {c.name: c for c in load_source(_sources(studio, wild)[1])}
    assert sorted(clips) == ["w0", "w1", "w2"]  # w3 was flagged
    audio = prepare_audio(FIXTURES / "espeak.wav", load_config(env={}))
    shift = round(16000 / 30)
    n = len(audio) - shift
    assert np.corrcoef(clips["w1"].audio[:n], audio[:n])[0, 1] > 0.999  # moved back (and cleaned again)
    assert clips["w0"].speaker == clips["w1"].speaker == "quiet" and clips["w2"].speaker == "w2"
    assert clips["w2"].split == "dev" and clips["w0"].split == "train"
    # only the captured channels carry a loss, weighted by confidence, and none where no face was found
    w = clips["w0"].weights
    assert set(np.flatnonzero(w[10])) == set(SUPERVISED) and np.allclose(w[10, list(SUPERVISED)], 0.9)
    assert not w[:3].any() and not w[:, CHANNEL_INDEX["tongueTipRaise"]].any()


def test_phones_are_aligned_to_transcripts_or_recognised_for_the_training_clips(labelled, tmp_path):
    from avatar.data.labels import PHONE_INDEX

    studio, wild = labelled
    table = tmp_path / "transcripts.tsv"
    table.write_text(f"s_bilabial.mp4\t{(FIXTURES / 'bilabial.txt').read_text().strip()}\n")
    source = _sources(studio, wild)[0].model_copy(update={"phones": True, "transcripts": str(table)})
    clips = {c.name: c for c in load_source(source)}
    assert clips["s_pauses"].phones is None  # dev clips are not trained on
    bilabial, recognised = clips["s_bilabial"].phones, clips["s_espeak"].phones
    for track, clip in ((bilabial, clips["s_bilabial"]), (recognised, clips["s_espeak"])):
        assert abs(len(track) - len(clip.audio) / 320) <= 1 and (track != PHONE_INDEX["SIL"]).mean() > 0.3
    # the transcript's bilabials are there: the lips close for m, b, p
    assert np.isin(bilabial, [PHONE_INDEX[p] for p in ("M", "B", "P")]).mean() > 0.05
    assert load_source(_sources(studio, wild)[0])[0].phones is None  # only when asked


def _late_by(audio: np.ndarray, original: np.ndarray) -> int:
    """How many frames late ``audio`` still is against ``original`` (the shift that matches it)."""
    for frames in range(-8, 9):
        shift = round(abs(frames) * 16000 / 30)
        a, b = (audio[shift:], original) if frames >= 0 else (audio, original[shift:])
        n = min(len(a), len(b)) - 16000 // 3
        if np.corrcoef(a[:n], b[:n])[0, 1] > 0.999:
            return frames
    raise AssertionError("no shift matches")


def test_a_pooled_offset_moves_every_clip_of_the_folder_alike(labelled):
    studio, wild = labelled
    cfg = load_config(env={})
    late = {
        clip.name: _late_by(clip.audio, prepare_audio(FIXTURES / f"{clip.name[2:]}.wav", cfg))
        for clip in load_source(_sources(studio, wild)[0])
    }
    assert len(set(late.values())) == 1, late  # one offset for the studio, whatever each clip alone says
    assert "s_espeak" in late  # so its own estimate's flag does not leave it out


def test_people_are_normalised_to_the_median_person(labelled):
    studio, wild = labelled
    clips, scales = load_real(_sources(studio, wild))
    # the person who opened half as wide is scaled up, the other down: to the median of the two
    assert scales["quiet"][0] > 1.2 and scales["studio"][0] < 0.9
    amounts = family_amounts(c for c in clips if c.split == "train")
    assert abs(amounts["quiet"][0] - amounts["studio"][0]) < 0.15 * amounts["studio"][0]


def test_a_person_on_both_sides_of_the_split_is_refused(labelled):
    studio, wild = labelled
    with pytest.raises(AvatarError, match="quiet is in both the dev split and training"):
        load_source(_sources(studio, wild, dev=["w0"])[1])
    with pytest.raises(AvatarError, match="dev clips not among its labels: nope"):
        load_source(_sources(studio, wild, dev=["nope"])[1])
    with pytest.raises(AvatarError, match="avatar data capture"):
        load_source(RealSourceConfig(dir=str(studio.parent / "missing"), weight=1.0))


@pytest.mark.slow
def test_the_tiny_recipe_mixes_real_clips_in(labelled, tmp_path):

    studio, wild = labelled
    synth = tmp_path / "synth"
    _synthetic_folder(synth, labelled)
    sources = _sources(studio, wild)
    sources[1] = sources[1].model_copy(update={"phones": True})  # recognised: the wild have no transcripts
    real = json.dumps([s.model_dump() for s in sources])
    cfg = load_train_config(
        ROOT / "configs" / "train_tiny.yaml",
        {
            "data.dir": str(synth),
            "data.real": real,
            "data.real_share": "0.5",
            "data.real_augment": "0.5",
            "optim.shape_loss_weight": "5.0",
            "optim.aperture_r_loss_weight": "1.0",
            "out": str(tmp_path / "t.pt"),
        },
    )
    logs = []
    meta = read_checkpoint("lipsync", train(cfg, log=logs.append))
    assert (
        logs[0].startswith(f"{studio}: 2 clips to train on")
        and "1 held out, 1 people; pooled offset" in logs[0]
    )
    assert (
        logs[1].startswith(f"{wild}: 2 clips to train on")
        and "1 held out, 1 people; offsets [0, 1]" in logs[1]
    )
    assert np.isfinite(meta["metrics"]["real_jaw_r"]) and "quiet" in meta["train"]["real_scales"]


def _synthetic_folder(folder: Path, labelled) -> None:
    """A data-factory folder from the studio clips (their curves as targets, no phones known)."""
    studio, _ = labelled
    (folder / "audio").mkdir(parents=True)
    (folder / "labels").mkdir()
    lines = []
    for k, clip in enumerate(load_source(RealSourceConfig(dir=str(studio), weight=1.0, speaker="s"))):
        files.save_flac(folder / "audio" / f"{clip.name}.flac", clip.audio, 16000)
        phones = np.full(len(clip.audio) // 320, 39, np.int16)
        np.savez(folder / "labels" / f"{clip.name}.npz", phones50=phones, targets30=clip.targets)
        lines.append(json.dumps({"id": clip.name, "split": "val" if k == 0 else "train"}))
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n")


def test_the_mouth_shape_weights_open_with_the_jaw_and_widen_with_a_stretch():
    weights = mouth_shape_weights()
    gap, width = weights[:, 0], weights[:, 1]
    assert gap[JAW] > 0.1 and gap[CHANNEL_INDEX["mouthClose"]] < -0.1  # the lips part and shut
    assert width[CHANNEL_INDEX["mouthStretchLeft"]] > 0 > width[CHANNEL_INDEX["mouthPucker"]]
