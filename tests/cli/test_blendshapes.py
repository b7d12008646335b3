"""``avatar blendshapes`` as a user meets it: the curves, the flags, and one-line errors for bad input."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avatar.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"
BILABIAL = FIXTURES / "bilabial.wav"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.err


def assert_one_line_error(code, err, *needles):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("avatar: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_csv_with_transcript(tmp_path, capsys):
    out = tmp_path / "bob.csv"
    code, err = run(
        capsys, "blendshapes", "--audio", BILABIAL, "--text-file", FIXTURES / "bilabial.txt", "-o", out
    )
    assert code == 0, err
    with open(out) as f:
        rows = list(csv.reader(f))
    duration = sf.info(BILABIAL).duration
    assert len(rows) - 1 == round(duration * 30)
    jaw = np.array([float(r[2 + 17]) for r in rows[1:]])
    assert jaw.max() > 0.2 and np.sum(jaw <= 0.12) >= 9  # 9 bilabial closures hold the jaw nearly shut
    assert "forced-alignment" in err


def test_json_without_transcript_from_mp3(tmp_path, capsys):
    out = tmp_path / "clip.json"
    code, err = run(capsys, "blendshapes", "--audio", FIXTURES / "formats" / "clip.mp3", "-o", out, "-q")
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["method"] == "phone-recognition" and len(data["names"]) == 64
    assert err == ""  # --quiet


def test_default_is_the_builtin_sample(tmp_path, capsys):
    out = tmp_path / "sample.csv"
    code, err = run(capsys, "blendshapes", "-o", out)
    assert code == 0 and out.exists()
    assert "built-in sample" in err


def test_config_override_changes_the_output(tmp_path, capsys):
    outs = []
    for strength in ("0.5", "1.5"):
        out = tmp_path / f"s{strength}.json"
        code, err = run(
            capsys, "blendshapes", "--audio", BILABIAL, "-o", out, "--set", f"phonetic.strength={strength}"
        )
        assert code == 0, err
        outs.append(np.array(json.loads(out.read_text())["frames"]))
    jaw = 17
    assert outs[1][:, jaw].max() > 2 * outs[0][:, jaw].max()


@pytest.fixture
def bad_inputs(tmp_path):
    rng = np.random.default_rng(1)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + rng.bytes(2000))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(800, np.float32), 16000)  # 50 ms
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    return {"corrupt": corrupt, "empty": empty, "short": short, "text": text, "dir": tmp_path}


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        ("missing", ["not found", "nope.wav"]),
        ("corrupt", ["corrupt.wav"]),
        ("empty", ["empty.wav"]),
        ("short", ["too short", "short.wav"]),
        ("text", ["notes.txt"]),
        ("dir", ["directory"]),
    ],
)
def test_bad_audio_is_one_line(tmp_path, capsys, bad_inputs, case, needles):
    audio = tmp_path / "nope.wav" if case == "missing" else bad_inputs[case]
    code, err = run(capsys, "blendshapes", "--audio", audio, "-o", tmp_path / "out.csv")
    assert_one_line_error(code, err, *needles)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["-o", "{tmp}/missing/out.csv"], ["does not exist"]),
        (["-o", "{tmp}/out.mp4"], ["unsupported output format"]),
        (["-o", "{tmp}"], ["format"]),
        (["-o", "{tmp}/o.csv", "--text-file", "{tmp}/none.txt"], ["transcript file not found"]),
        (["-o", "{tmp}/o.csv", "--text", "  "], ["--text is empty"]),
        (["-o", "{tmp}/o.csv", "--set", "phonetic.lead=3"], ["unknown config key", "phonetic.lead"]),
        (["-o", "{tmp}/o.csv", "--set", "phonetic.strength=loud"], ["phonetic.strength"]),
        (["-o", "{tmp}/o.csv", "--set", "strength"], ["KEY=VALUE"]),
    ],
)
def test_bad_options_are_one_line(tmp_path, capsys, args, needles):
    argv = ["blendshapes", "--audio", BILABIAL, *(a.format(tmp=tmp_path) for a in args)]
    code, err = run(capsys, *argv)
    assert_one_line_error(code, err, *needles)


def test_empty_transcript_file(tmp_path, capsys):
    (tmp_path / "t.txt").write_text("\n")
    code, err = run(
        capsys,
        "blendshapes",
        "--audio",
        BILABIAL,
        "--text-file",
        tmp_path / "t.txt",
        "-o",
        tmp_path / "o.csv",
    )
    assert_one_line_error(code, err, "transcript file is empty")


def test_cuda_without_gpu_falls_back_with_one_warning(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    code, err = run(capsys, "blendshapes", "--audio", BILABIAL, "-o", tmp_path / "o.csv", "--device", "cuda")
    assert code == 0
    assert err.count("no CUDA GPU") == 1


def test_neural_lipsync_uses_the_shipped_weights(tmp_path, capsys):
    out = tmp_path / "o.json"
    code, err = run(
        capsys, "blendshapes", "--audio", FIXTURES / "pauses.wav", "-o", out, "--lipsync", "neural"
    )
    assert code == 0, err
    frames = np.array(json.loads(out.read_text())["frames"])
    jaw = frames[:, 17]
    assert jaw[: int(0.7 * 30)].max() < 0.1 and jaw.max() > 0.2  # shut before the speech, open in it


def test_a_transcript_given_to_the_neural_lipsync_gets_a_note(tmp_path, capsys):
    out = tmp_path / "o.json"
    argv = ["blendshapes", "--audio", BILABIAL, "--text", "bob", "-o", out, "--lipsync", "neural"]
    code, err = run(capsys, *argv)
    assert code == 0, err
    assert "avatar: the neural lip-sync hears the audio only: --text is for --lipsync phonetic" in err
    code, err = run(capsys, *argv[:-2], "--lipsync", "phonetic")
    assert code == 0 and "hears the audio only" not in err


def test_neural_lipsync_with_a_checkpoint(tmp_path, capsys):
    from avatar.models import save_checkpoint
    from avatar.neural.expression_model import ExpressionDims
    from avatar.neural.model import LipSyncDims, LipSyncNet
    from avatar.neural.speech_encoder import SpeechEncoderDims

    small = {"layers": 1, "heads": 2, "ff": 32, "pos_kernel": 4, "pos_groups": 4}
    dims = LipSyncDims(
        SpeechEncoderDims(conv_channels=8, dim=16, **small), ExpressionDims(in_dim=16, dim=16, **small)
    )
    save_checkpoint(LipSyncNet(dims).eval(), tmp_path / "tiny.pt")  # untrained: only the plumbing is tested
    out = tmp_path / "o.json"
    code, err = run(
        capsys,
        "blendshapes",
        "--audio",
        BILABIAL,
        "-o",
        out,
        "--lipsync",
        "neural",
        "--model",
        tmp_path / "tiny.pt",
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["method"] == "neural" and data["lipsync"] == "neural"
    assert len(data["frames"]) == round(sf.info(BILABIAL).duration * 30)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--head-motion", "3"], ["--head-motion", "from 0 to 2"]),
        (["--expression-scale", "big"], ["--expression-scale", "expected a number"]),
        (["--emotion", "joy"], ["--emotion", "invalid choice"]),
        (["--blink", "maybe"], ["--blink"]),
        (["--lipsync", "magic"], ["--lipsync"]),
    ],
)
def test_bad_flag_values_are_one_line(tmp_path, capsys, args, needles):
    with pytest.raises(SystemExit) as exit_info:
        main(["blendshapes", "--audio", str(BILABIAL), "-o", str(tmp_path / "o.csv"), *args])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert (
        exit_info.value.code == 2 and len(lines) == 1 and lines[0].startswith("avatar: error: blendshapes: ")
    )
    assert all(n in lines[0] for n in needles), lines[0]


def test_controls_reach_the_curves(tmp_path, capsys):
    def curves(*flags):
        out = tmp_path / "o.json"
        code, err = run(capsys, "blendshapes", "--audio", FIXTURES / "pauses.wav", "-o", out, *flags)
        assert code == 0, err
        data = json.loads(out.read_text())
        return np.array(data["frames"]), np.array(data["head"]["frames"]), np.array(data["gaze"]["frames"])

    _, head, gaze = curves()
    assert head.std() > 0.2 and np.abs(gaze).max() > 0  # the motion model moves head and eyes
    again = curves()
    assert np.array_equal(again[1], head)  # same seed, same motion
    frames_still, head_still, gaze_still = curves("--still", "--blink", "off", "--gaze", "camera")
    assert not head_still.any() and not gaze_still.any() and not frames_still[:, [0, 7]].any()
    happy, _, _ = curves("--emotion", "happy", "--seed", "3")
    assert happy[:, 23].min() > 0.3  # mouthSmileLeft all along


def test_model_implies_neural_and_contradiction_is_one_line(tmp_path, capsys):
    code, err = run(
        capsys, "blendshapes", "--audio", BILABIAL, "-o", tmp_path / "o.csv", "--lipsync", "phonetic",
        "--model", tmp_path / "m.pt",
    )  # fmt: skip
    assert_one_line_error(code, err, "--model", "--lipsync phonetic")
    code, err = run(
        capsys, "blendshapes", "--audio", BILABIAL, "-o", tmp_path / "o.csv", "--model", tmp_path / "m.pt"
    )
    assert_one_line_error(code, err, "not found", "m.pt")  # taken as a neural checkpoint
