"""``avatar data capture``: the command line of avatar.data.capture."""

import json

import pytest

from avatar.cli import data as data_cli
from avatar.cli import main
from avatar.data import capture as labeller


def test_the_help_names_the_labellers_own_defaults():
    assert data_cli.CAPTURE_DEFAULTS == {
        "max_offset": labeller.MAX_OFFSET_FRAMES,
        "max_face_lost": labeller.MAX_FACE_LOST,
        "min_z": labeller.MIN_Z,
    }
    assert ", ".join(e[1:] for e in labeller.VIDEO_EXTENSIONS) == data_cli.CAPTURE_VIDEOS


def test_a_folder_of_bad_files_is_labelled_not_refused(tmp_path, capsys):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "broken.mp4").write_bytes(b"\x00" * 100)
    out = tmp_path / "labels"
    assert main(["data", "capture", str(tmp_path / "clips"), "--out", str(out), "-j", "2"]) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"wrote {tmp_path / 'labels' / 'manifest.jsonl'}: 1 clips, 0 labelled")
    assert "1 failed" in line
    (row,) = map(json.loads, (tmp_path / "labels" / "manifest.jsonl").read_text().splitlines())
    assert row["name"] == "broken" and row["flags"] == ["failed"] and row["error"]


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["data", "capture", str(tmp_path / "none"), "--out", str(tmp_path / "labels")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("avatar: error: ") and "is not a folder" in err and len(err.splitlines()) == 1
    for flag, value in (("-j", "0"), ("--max-face-lost", "1.5"), ("--max-offset", "-1")):
        with pytest.raises(SystemExit) as exit_info:
            main(["data", "capture", str(tmp_path), "--out", str(tmp_path / "labels"), flag, value])
        assert exit_info.value.code == 2
        assert "must be" in capsys.readouterr().err
