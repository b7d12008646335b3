"""``avatar capture``: writes the captured curves; bad input is one line and exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

from avatar.cli import main
from avatar.export import read_livelink_csv

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "capture" / "roundtrip.mp4"


def test_capture_json_and_csv(tmp_path: Path, capsys) -> None:
    out = tmp_path / "face.json"
    assert main(["capture", str(FIXTURE), "-o", str(out), "--neutral-frame", "0"]) == 0
    data = json.loads(out.read_text())
    assert data["num_frames"] == 170 and data["fps"] == 30
    assert len(data["face_found"]) == 170 and all(data["face_found"])
    assert data["method"] == "capture"
    assert "wrote" in capsys.readouterr().err
    csv = tmp_path / "face.csv"
    assert main(["capture", str(FIXTURE), "-o", str(csv), "-q"]) == 0
    assert read_livelink_csv(csv).num_frames == 170


def test_capture_bad_inputs(tmp_path: Path, capsys) -> None:
    assert main(["capture", str(FIXTURE), "-o", str(tmp_path / "face.txt")]) == 1
    assert "unsupported output format" in capsys.readouterr().err
    assert main(["capture", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "f.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("avatar: error: no such video") and err.count("\n") == 1
    junk = tmp_path / "junk.mov"
    junk.write_bytes(b"\x00" * 100)
    assert main(["capture", str(junk), "-o", str(tmp_path / "f.json")]) == 1
    assert "cannot read video" in capsys.readouterr().err
