"""avatar bench --json: one JSON object with every figure, all of them measured (positive)."""

import json

from avatar.cli import main


def test_bench_json(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path))
    assert main(["bench", "--json", "--seconds", "2", "--threads", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("e2e_fps_256", "e2e_fps_512", "first_frame_ms", "peak_rss_mb"):
        assert result[key] > 0, key
    assert result["first_frame_ms"] > 182  # at least the look-ahead it must wait for
    stages = result["torch"]
    assert set(stages) >= {"speech_encoder_ms", "expression_ms", "motion_ms", "filter_ms", "render_256_ms"}
    assert all(v > 0 for v in stages.values()) and result["threads"] == 1
    assert result["onnx"] is None and result["int8"] is None


def test_bench_bad_seconds_is_one_line(capsys):
    assert main(["bench", "--seconds", "0"]) == 1
    assert capsys.readouterr().err.strip().startswith("avatar: error: --seconds")
