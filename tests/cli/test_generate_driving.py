"""``avatar generate --driving``: a photo driven by a video's face, with its sound or other audio."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avatar.audio import SAMPLE_RATE, load_audio
from avatar.errors import AvatarError
from avatar.eval.mouth import mouth_opening
from avatar.export import read_json
from avatar.expression.channels import CHANNEL_INDEX
from avatar.motion.controls import SCALED
from avatar.video import VideoWriter, probe
from avatar.video.reader import read_frames

FIXTURES = Path(__file__).parents[1] / "fixtures"
SPEECH25 = FIXTURES / "driving" / "speech25.mp4"  # 2.6 s at 25 fps, 320x256, with sound
SILENT = FIXTURES / "capture" / "roundtrip.mp4"  # 170 frames at 30 fps, no audio
SPEECH = FIXTURES / "pauses.wav"  # 3.478 s


def _frames(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    times, frames = zip(*read_frames(path), strict=True)
    return np.asarray(times), list(frames)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.fixture(scope="module")
def driven(tmp_path_factory, grace_module):
    """Grace Hopper driven by speech25.mp4 (its own sound), with the curves."""
    from avatar.cli import build_parser, dispatch

    folder = tmp_path_factory.mktemp("driven")
    out, curves = folder / "out.mp4", folder / "curves.json"
    argv = ["generate", "--driving", SPEECH25, "--image", grace_module, "-o", out, "--blendshapes", curves]
    args = build_parser().parse_args([str(a) for a in (*argv, "-q")])
    dispatch(args)
    return out, curves


@pytest.fixture(scope="module")
def grace_module(tmp_path_factory):
    from .conftest import GRACE_HOPPER

    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("grace")
        mp.setenv("AVATAR_HOME", str(folder / "home"))
        path = folder / "grace_hopper.jpg"
        path.write_bytes(GRACE_HOPPER.read_bytes())
        yield path


def test_driven_video_lasts_as_the_driving_one_at_30_fps_with_its_sound(driven):
    out, _ = driven
    info, source = probe(out), probe(SPEECH25)
    assert source["fps"] == 25 and info["fps"] == 30 and (info["width"], info["height"]) == (256, 256)
    assert info["frames"] == round(source["video_duration"] * 30)
    assert info["audio_codec"] == "aac" and info["audio_duration"] == pytest.approx(
        info["video_duration"], abs=0.03
    )
    # the sound is the driving video's own: the same waveform (AAC both times)
    mine, theirs = load_audio(out, SAMPLE_RATE), load_audio(SPEECH25, SAMPLE_RATE)
    assert _correlation(mine, theirs) > 0.95


def test_the_portrait_opens_its_mouth_where_the_driving_face_does(driven):
    out, _ = driven
    source_times, source_frames = _frames(SPEECH25)
    out_times, out_frames = _frames(out)
    # each output frame against the driving frame on screen at its time
    shown = np.clip(
        np.searchsorted(source_times, out_times + 1e-6, side="right") - 1, 0, len(source_frames) - 1
    )
    theirs = mouth_opening(source_frames)[shown]
    mine = mouth_opening(out_frames)
    assert not np.isnan(theirs).any() and not np.isnan(mine).any()
    assert _correlation(theirs, mine) > 0.5
    wide, shut = theirs >= np.quantile(theirs, 0.75), theirs <= np.quantile(theirs, 0.25)
    assert mine[wide].mean() > mine[shut].mean() + 0.02  # inner-lip gap / eye distance


def test_blendshapes_are_the_captured_curves_under_the_controls(driven, cli, tmp_path):
    _, curves = driven
    free = read_json(curves)
    assert (
        free.num_frames == probe(driven[0])["frames"]
        and free.face_found is not None
        and free.face_found.all()
    )
    assert np.abs(free.head).max() > 1.0  # the driving head moves (the motion model's nods)
    assert free.expression[:, CHANNEL_INDEX["jawOpen"]].max() > 0.1
    held = tmp_path / "held.json"
    cli("generate", "--driving", SPEECH25, "-o", tmp_path / "o.mp4", "--blendshapes", held, "-q",
        "--still", "--expression-scale", "0", "--blink", "off")  # fmt: skip
    still = read_json(held)
    assert not still.head.any() and not still.expression[:, SCALED].any()
    blinks = [CHANNEL_INDEX["eyeBlinkLeft"], CHANNEL_INDEX["eyeBlinkRight"]]
    assert not still.expression[:, blinks].any()
    half = tmp_path / "half.json"
    cli("generate", "--driving", SPEECH25, "-o", tmp_path / "o.mp4", "--blendshapes", half, "-q",
        "--head-motion", "0.5")  # fmt: skip
    np.testing.assert_allclose(read_json(half).head, 0.5 * free.head, atol=1e-3)  # JSON keeps 3 decimals


@pytest.mark.slow  # 5.7 s of video: capture runs about as long as the video plays
def test_silent_driving_video_gives_a_video_without_audio(cli, tmp_path):
    out = tmp_path / "silent.mp4"
    cli("generate", "--driving", SILENT, "-o", out, "-q")
    info = probe(out)
    assert info["frames"] == probe(SILENT)["frames"] == 170 and info["fps"] == 30
    assert info["audio_codec"] is None


def test_audio_replaces_the_sound_padded_or_cut_to_the_video(cli, tmp_path):
    speech = load_audio(SPEECH, SAMPLE_RATE)
    short, n = tmp_path / "short.wav", round(1.8 * SAMPLE_RATE)  # its words are at 1.0-2.4 s
    sf.write(short, speech[:n], SAMPLE_RATE)  # 1.8 s, under the 2.6 s video
    padded, cut = tmp_path / "padded.mp4", tmp_path / "cut.mp4"
    cli("generate", "--driving", SPEECH25, "--audio", short, "-o", padded, "-q")
    info = probe(padded)
    assert info["frames"] == 78 and info["audio_duration"] == pytest.approx(2.6, abs=0.03)
    sound = load_audio(padded, SAMPLE_RATE)
    assert _correlation(sound, speech[:n]) > 0.95  # the audio given, not the video's
    assert np.abs(sound[n + SAMPLE_RATE // 10 :]).max() < 1e-3  # then silence
    cli("generate", "--driving", SPEECH25, "--audio", SPEECH, "-o", cut, "-q")  # 3.48 s of speech
    info = probe(cut)
    assert info["frames"] == 78 and info["audio_duration"] == pytest.approx(2.6, abs=0.03)
    assert _correlation(load_audio(cut, SAMPLE_RATE), speech) > 0.95


def _text(path: Path) -> Path:
    path.write_text("hello, not a video")
    return path


def _wall(path: Path, frames: int = 10) -> Path:
    with VideoWriter(path, 64, fps=30) as writer:
        writer.write(np.full((frames, 64, 64, 3), 90, np.uint8))
    return path


@pytest.mark.parametrize(
    ("make", "extra", "needle"),
    [
        (lambda d: d / "missing.mp4", [], "no such video"),
        (lambda d: _text(d / "notes.mp4"), [], "cannot read video"),
        (lambda d: SPEECH, [], "no video stream"),
        (lambda d: _wall(d / "wall.mp4"), [], "no face"),
        (lambda d: SILENT, ["--text", "hello"], "--text cannot go with --driving"),
        (lambda d: SILENT, ["--lipsync", "neural"], "--lipsync cannot go with --driving"),
        (lambda d: SILENT, ["--audio", "missing.wav"], "audio file not found"),
    ],
)
def test_bad_driving_input_is_one_line(cli, tmp_path, make, extra, needle):
    out = tmp_path / "out.mp4"
    with pytest.raises(AvatarError) as error:
        cli("generate", "--driving", make(tmp_path), *extra, "-o", out, "-q")
    assert needle in str(error.value) and "\n" not in str(error.value)
    assert not out.exists()
