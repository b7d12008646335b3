"""`avatar generate` / `python main.py`: a talking-portrait MP4, and one-line errors for bad input."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avatar.cli import main
from avatar.video import probe

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
BILABIAL = FIXTURES / "bilabial.wav"


@pytest.fixture(autouse=True)
def avatar_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path / "home"))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_generate_default_avatar_with_curves(tmp_path, capsys):
    out, curves = tmp_path / "talk.mp4", tmp_path / "talk.json"
    code, err = run(capsys, "generate", "--audio", BILABIAL, "-o", out, "--blendshapes", curves, "-q")
    assert code == 0, err
    info = probe(out)
    duration = 2.313  # bilabial.wav
    assert info["frames"] == round(duration * 30)
    assert (info["video_codec"], info["pix_fmt"], info["audio_codec"]) == ("h264", "yuv420p", "aac")
    assert (info["width"], info["height"], info["fps"]) == (256, 256, 30.0)
    assert info["faststart"]
    assert abs(info["audio_duration"] - info["video_duration"]) < 1 / 30
    assert curves.exists()


@pytest.mark.slow
def test_main_py_uses_the_same_defaults(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--audio", str(BILABIAL), "--size", "512", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    info = probe(tmp_path / "output.mp4")
    assert (info["width"], info["frames"]) == (512, round(2.313 * 30))


@pytest.fixture
def bad_images(tmp_path):
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((300, 300, 3), 200, np.uint8)).save(blank)
    fake = tmp_path / "photo.jpg"
    fake.write_text("not a jpeg")
    return {"blank": blank, "fake": fake}


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--image", "{blank}"], ["no face", "blank.png"]),
        (["--image", "{fake}"], ["photo.jpg"]),
        (["--image", "{tmp}/missing.jpg"], ["missing.jpg"]),
        (["--avatar", "nobody"], ["nobody"]),
        (["-o", "{tmp}/out.avi"], [".mp4"]),
        (["-o", "{tmp}/no/such/dir/out.mp4"], ["does not exist"]),
        (["--blendshapes", "{tmp}/c.txt"], ["unsupported output format"]),
        (["--audio", "{tmp}/none.wav"], ["not found"]),
    ],
)
def test_bad_inputs_are_one_line(tmp_path, capsys, bad_images, args, needles):
    fill = {"tmp": tmp_path, **bad_images}
    argv = ["generate", "--audio", BILABIAL, "-o", tmp_path / "o.mp4", *(a.format(**fill) for a in args)]
    code, err = run(capsys, *argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("avatar: error: "), err
    for needle in needles:
        assert needle in lines[0]
    assert not (tmp_path / "o.mp4").exists()


def test_render_threads_split_the_cores_only_at_256_on_the_cpu():
    import torch

    from avatar.generate import render_threads, torch_threads

    before = torch.get_num_threads()
    assert render_threads(512, "cpu") == before and render_threads(256, "cuda") == before
    assert render_threads(256, "cpu") == max(1, before - 1)
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
