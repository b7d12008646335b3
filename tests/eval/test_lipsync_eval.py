"""End to end on a video we make ourselves: the avatar speaking a TTS clip is the 'real' speaker.

The evaluated pipeline renders the same avatar from the same audio, so its curve must match
the video's at lag 0; the baselines are computed alongside, and the report is written.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from avatar.cli import main
from avatar.config import load_config
from avatar.eval.lipsync import METHODS, evaluate_lipsync
from avatar.generate import generate
from avatar.portrait import default_avatar
from avatar.render import Renderer

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def talking_video(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVATAR_HOME", str(folder / "home"))
        video = folder / "bob.mp4"
        generate(FIXTURES / "bilabial.wav", video)
        yield video, default_avatar()


@pytest.mark.slow
def test_the_avatar_matches_itself(talking_video):
    video, avatar = talking_video
    cfg = load_config(env={})
    renderer = Renderer(avatar.image, avatar.landmarks, 256)
    text = (FIXTURES / "bilabial.txt").read_text()
    results = evaluate_lipsync([video], cfg, renderer, avatar.name, {video.name: text})
    clip = results["clips"][0]
    assert clip["frames_without_face"] == 0 and clip["fps"] == 30.0
    assert len(clip["real"]) == len(clip["times"]) == round(2.313 * 30)
    ours = clip["metrics"]["avatar"]
    assert ours["r0"] > 0.8 and ours["best_lag"] in (-1, 0, 1)
    methods = set(METHODS) - {"phonetic_audio"}  # the path under test is the phonetic one from audio
    assert set(clip["metrics"]) == methods
    # the transcript path is rendered too, so it tracks the same face far better than loudness does
    assert clip["metrics"]["phonetic_text"]["r0"] > clip["metrics"]["envelope"]["r0"] + 0.1
    for method in methods:
        assert np.isfinite(clip["metrics"][method]["r0"])
    # the mouth's width is measured on the same frames: the avatar's follows its own
    assert set(clip["width_metrics"]) == {"avatar", "phonetic_text"}
    assert clip["width_metrics"]["avatar"]["r0"] > 0.8
    width_r0 = clip["width_metrics"]["avatar"]["r0"]
    assert results["width_summary"]["avatar"]["mean_r0"] == pytest.approx(width_r0)
    assert results["summary"]["avatar"]["mean_r0"] == pytest.approx(ours["r0"])
    json.dumps(results)  # every figure is JSON-ready


@pytest.mark.slow
def test_a_neural_run_also_renders_the_phonetic_path_from_audio(talking_video):
    from avatar.pipeline import expression_source

    video, avatar = talking_video
    cfg = load_config(env={})
    renderer = Renderer(avatar.image, avatar.landmarks, 256)
    source = expression_source("neural", cfg)
    results = evaluate_lipsync([video], cfg, renderer, avatar.name, None, source, label="neural")
    clip = results["clips"][0]
    assert set(clip["metrics"]) == {"avatar", "phonetic_audio", "envelope"}
    # the video is the phonetic path from this very audio (with head motion): its baseline follows it
    assert clip["metrics"]["phonetic_audio"]["r0"] > 0.75
    assert clip["metrics"]["phonetic_audio"]["r0"] > clip["metrics"]["envelope"]["r0"] + 0.1
    assert np.isfinite(clip["width_metrics"]["avatar"]["r0"])


@pytest.mark.slow
def test_cli_writes_json_and_report(talking_video, tmp_path, capsys, monkeypatch):
    video, _ = talking_video
    monkeypatch.setenv("AVATAR_HOME", str(video.parent / "home"))
    code = main(["eval", "lipsync", str(video), "--report", str(tmp_path / "rep"), "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert "mean avatar, rendered end to end" in out
    data = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert data["clips"][0]["name"] == "bob" and "phonetic_text" not in data["clips"][0]["metrics"]
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "data:image/png;base64" in html


def test_not_a_video_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path / "home"))
    bad = tmp_path / "x.mp4"
    bad.write_bytes(b"nope")
    code = main(["eval", "lipsync", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("avatar: error:")
