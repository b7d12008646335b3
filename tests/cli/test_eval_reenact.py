"""``avatar eval reenact`` on the command line: figures on stdout and in --json, the report, and
one line for each clip it cannot use."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avatar.cli import main
from avatar.video import VideoWriter
from avatar.video.reader import read_frames

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "capture" / "roundtrip.mp4"
KEYS = ("aperture_r", "lip_nme", "mouth_psnr", "mouth_ssim", "face_psnr", "face_ssim")


def _lines(capsys) -> tuple[str, list[str]]:
    got = capsys.readouterr()
    return got.out, got.err.strip().splitlines()


@pytest.mark.slow
def test_figures_json_and_report(tmp_path, capsys) -> None:
    clip = tmp_path / "short.mp4"
    with VideoWriter(clip, 256, crf=18) as writer:  # the fixture's first 1.5 s: rest, then speech
        for t, rgb in read_frames(FIXTURE):
            if t < 1.5 - 1e-6:
                writer.write(rgb)
    out_json, report = tmp_path / "figures.json", tmp_path / "rep"
    argv = ["eval", "reenact", str(clip), "--json", str(out_json), "--report", str(report)]
    code = main([*argv, "--set", "batch_size=16"])  # the renderer's settings are recorded with the figures
    out, err = _lines(capsys)
    assert code == 0
    assert any(line.startswith("reenacted 1/1 short: aperture r") for line in err)
    rows = out.strip().splitlines()
    assert rows[0].split()[:3] == ["clip", "aperture", "r"] and rows[-1].startswith("mean")
    data = json.loads(out_json.read_text())
    assert set(KEYS) <= set(data["clips"][0]) and set(data["mean"]) == set(KEYS)
    assert (
        data["clips"][0]["frames"] == 45
        and data["settings"] == {"batch_size": "16"}
        and data["skipped"] == []
    )
    assert np.isfinite(data["mean"]["face_psnr"]) and data["mean"]["face_psnr"] > 20
    assert (report / "report.html").is_file() and (report / "contact_sheet.png").is_file()


def test_nothing_usable_is_an_error_after_a_line_per_clip(tmp_path, capsys) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    code = main(["eval", "reenact", str(text), str(tmp_path / "missing.mp4")])
    out, err = _lines(capsys)
    assert code == 1 and out == ""
    assert err[0].startswith("avatar: warning: skipped ") and "notes.mp4" in err[0]
    assert err[1].startswith("avatar: warning: skipped ") and "not a file" in err[1]
    assert err[2:] == ["avatar: error: no clip could be evaluated (2 skipped)"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--json", "{tmp}/no/such/folder/out.json"], "output folder does not exist"),
        (["--json", "{tmp}/out.csv"], "unsupported output format '.csv'"),
        (["--set", "renderer.nope=1"], "unknown config key: renderer.nope"),
        (["--set", "novalue"], "--set expects KEY=VALUE"),
    ],
)
def test_bad_options_fail_before_the_work(tmp_path, capsys, flags, message) -> None:
    argv = ["eval", "reenact", str(FIXTURE), *(f.format(tmp=tmp_path) for f in flags)]
    code = main(argv)
    _, err = _lines(capsys)
    assert code == 1 and len(err) == 1 and err[0].startswith("avatar: error:") and message in err[0]
