"""The speech evaluation: its figures reach their top on a perfect copy, fall on a bad one, and
the default audio-only path keeps the mouth shut in the pauses of a real clip."""

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from avatar.config import load_config
from avatar.errors import AvatarError
from avatar.eval.speech import (
    evaluate_speech,
    find_transcript,
    format_table,
    read_transcript_table,
    visemes_from_expression,
)
from avatar.expression import CHANNEL_INDEX
from avatar.lipsync import LipSync, PhoneticLipSync
from avatar.lipsync.phones import Phone
from avatar.lipsync.visemes import PHONE_VISEME, VISEME_INDEX, viseme_target

FIXTURES = Path(__file__).parents[1] / "fixtures"
FPS = 30


@pytest.fixture(scope="module")
def cfg():
    return load_config(env={})


def _transcript(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text()


def _with_transcript(cfg, name: str, change=None):
    """A source that ignores 'audio only' and animates with the clip's transcript, then ``change``s it."""
    animate = PhoneticLipSync(cfg)

    def source(audio, text, progress=None):
        result = animate(audio, _transcript(name))
        return change(result) if change else result

    return source


def _clip(results):
    assert results["kind"] == "speech" and len(results["clips"]) == 1
    json.dumps(results, allow_nan=False)  # strict JSON: undefined figures are None, not NaN
    return results["clips"][0]


@pytest.mark.parametrize("name", ["bilabial", "pauses"])
def test_transcript_path_against_itself_scores_the_top(cfg, name):
    clip = _clip(evaluate_speech([FIXTURES / f"{name}.wav"], cfg, source=_with_transcript(cfg, name)))
    assert clip["reference_method"] == clip["method"] == "forced-alignment"
    assert clip["viseme_source"] == "phones"
    assert clip["viseme_agreement"] == 1.0
    assert clip["jaw_r"] == pytest.approx(1.0)


def test_expression_only_copy_scores_the_top(cfg):
    # A path without phones (a neural model) is compared through the expression classifier.
    source = _with_transcript(cfg, "bilabial", lambda r: dataclasses.replace(r, phones=[]))
    clip = _clip(evaluate_speech([FIXTURES / "bilabial.wav"], cfg, source=source))
    assert clip["viseme_source"] == "expression"
    assert clip["viseme_agreement"] == 1.0
    assert clip["jaw_r"] == pytest.approx(1.0)


def test_constant_open_mouth_fails(cfg):
    def open_mouth(audio, text, progress=None):
        expr = np.zeros((round(len(audio) / 16000 * FPS), 64), dtype=np.float32)
        expr[:, CHANNEL_INDEX["jawOpen"]] = 0.5
        return LipSync(expr, [], "constant")

    clip = _clip(evaluate_speech([FIXTURES / "pauses.wav"], cfg, source=open_mouth, label="open"))
    assert clip["silent_frames"] > 0
    assert clip["closed_in_silence"] == 0.0
    assert clip["jaw_r"] is None  # r of a constant track is undefined
    assert clip["viseme_agreement"] < 0.6


def test_time_shifted_copy_agrees_less(cfg):
    shift = 6  # frames, 200 ms

    def late(result):
        phones = [Phone(p.name, p.start + shift / FPS, p.end + shift / FPS) for p in result.phones]
        expr = np.concatenate([np.repeat(result.expression[:1], shift, 0), result.expression[:-shift]])
        return LipSync(expr, phones, result.method)

    wav = FIXTURES / "espeak.wav"
    exact = _clip(evaluate_speech([wav], cfg, source=_with_transcript(cfg, "espeak")))
    shifted = _clip(evaluate_speech([wav], cfg, source=_with_transcript(cfg, "espeak", late)))
    assert shifted["viseme_agreement"] < exact["viseme_agreement"] - 0.3
    assert shifted["jaw_r"] < exact["jaw_r"] - 0.3


def test_default_audio_only_path_on_pauses(cfg):
    results = evaluate_speech([FIXTURES / "pauses.wav"], cfg)
    clip = _clip(results)
    assert results["lipsync"] == "phonetic"
    assert clip["method"] == "phone-recognition" and clip["reference_method"] == "forced-alignment"
    assert clip["num_frames"] == round(clip["duration_s"] * FPS)
    assert abs(clip["silent_frames"] - 2 * FPS) <= 10  # 1 s of silence before and after the speech
    assert clip["closed_in_silence"] >= 0.95
    assert 0.5 < clip["viseme_agreement"] <= 1.0 and clip["jaw_r"] > 0.5


def test_missing_transcript_is_recorded(cfg, tmp_path):
    for name in ("pauses", "bilabial"):
        shutil.copy(FIXTURES / f"{name}.wav", tmp_path / f"{name}.wav")
    (tmp_path / "bilabial.txt").write_text(_transcript("bilabial"))
    calls = []
    results = evaluate_speech(
        [tmp_path / "pauses.wav", tmp_path / "bilabial.wav"], cfg, progress=lambda *a: calls.append(a)
    )
    json.dumps(results, allow_nan=False)
    bare, known = results["clips"]
    assert not bare["transcript"] and bare["note"] == "no transcript"
    assert bare["viseme_agreement"] is None and bare["jaw_r"] is None and bare["reference_method"] is None
    assert bare["silent_frames"] > 0 and bare["closed_in_silence"] is not None  # silence still measured
    assert known["transcript"] and known["note"] is None and known["viseme_agreement"] is not None
    s = results["summary"]
    assert (s["clips"], s["compared"]) == (2, 1)
    assert s["viseme_agreement"] == known["viseme_agreement"]  # the clip without figures is skipped
    assert s["silent_frames"] == bare["silent_frames"] + known["silent_frames"]
    assert s["num_frames"] == bare["num_frames"] + known["num_frames"]
    assert calls == [(1, 2), (2, 2)]
    table = format_table(results)
    assert "pauses.wav" in table and "no transcript" in table and "all 2 (1 compared)" in table


def test_transcript_table_tsv_pipe_and_comments(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text(
        "# name<TAB>text\n\nclip1.wav\tHello there.\n"
        "LJ001-0001|Printed in 1850.|Printed in eighteen fifty.\n"
        "LJ001-0002|in being modern.|\n"
        "  \t  \n"
    )
    assert read_transcript_table(path) == {
        "clip1.wav": "Hello there.",
        "LJ001-0001": "Printed in eighteen fifty.",  # the normalized text, which the aligner can say
        "LJ001-0002": "in being modern.",
    }


def test_transcript_table_errors(tmp_path):
    with pytest.raises(AvatarError, match="not found"):
        read_transcript_table(tmp_path / "missing.tsv")
    (tmp_path / "bad.tsv").write_text("clip1.wav\tfine\njust words\n")
    with pytest.raises(AvatarError, match=r"bad\.tsv:2"):
        read_transcript_table(tmp_path / "bad.tsv")
    (tmp_path / "latin1.tsv").write_bytes("clip\tna\xefve\n".encode("latin-1"))
    with pytest.raises(AvatarError, match="cannot read"):
        read_transcript_table(tmp_path / "latin1.tsv")


def test_find_transcript_precedence(tmp_path):
    wav = tmp_path / "a.wav"
    assert find_transcript(wav, None) is None
    # an Audacity label track named .lab is not a transcript
    (tmp_path / "a.lab").write_text("0.235689\t0.235689\tspeech\n6.761690\t6.761690\tsilence\n")
    assert find_transcript(wav, None) is None
    (tmp_path / "a.lab").write_text("FROM THE LAB FILE\n")
    assert find_transcript(wav, None) == "FROM THE LAB FILE"
    (tmp_path / "a.txt").write_text("from the\ntxt file\n")
    assert find_transcript(wav, None) == "from the txt file"
    assert find_transcript(wav, {"a": "by stem"}) == "by stem"
    assert find_transcript(wav, {"a": "by stem", "a.wav": "by name"}) == "by name"
    assert find_transcript(wav, {"other.wav": "not this one"}) == "from the txt file"


def test_viseme_classifier_recovers_target_poses():
    for phone, (viseme, jaw) in PHONE_VISEME.items():
        if phone == "HH":  # no shape of its own
            continue
        pose = viseme_target(viseme, jaw)
        if viseme == "PP":
            pose[CHANNEL_INDEX["lipSeal"]] = 1.0  # as the animator sets it
        assert visemes_from_expression(pose[None])[0] == VISEME_INDEX[viseme], phone
    assert visemes_from_expression(np.zeros((0, 64), np.float32)).shape == (0,)
