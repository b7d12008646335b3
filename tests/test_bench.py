"""avatar bench --json: one JSON object with every figure, all of them measured (positive)."""

import json

import pytest

from avatar.cli import main


@pytest.mark.slow
def test_bench_json(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path))
    assert main(["bench", "--json", "--seconds", "2", "--threads", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("e2e_fps_256", "e2e_fps_512", "first_frame_ms", "peak_rss_mb"):
        assert result[key] > 0, key
    assert result["first_frame_ms"] > 75  # at least the look-ahead it must wait for
    network = {"speech_encoder_ms", "expression_ms", "motion_ms", "e2e_fps_256", "e2e_fps_512", "e2e_rtf_256"}
    assert set(result["torch"]) >= network | {"gate_ms", "filter_ms", "render_256_ms", "encode_512_ms"}
    assert set(result["onnx"]) >= network | {"lipsync_mb", "render_256_ms"}
    assert set(result["int8"]) >= network | {"lipsync_mb"}
    assert result["onnx"]["lipsync_mb"] > 2.5 * result["int8"]["lipsync_mb"]
    for backend in ("torch", "onnx", "int8"):
        assert all(v > 0 for v in result[backend].values()), backend
    best = result[result["best_backend"]]
    assert (
        result["e2e_fps_256"]
        == best["e2e_fps_256"]
        == max(result[b]["e2e_fps_256"] for b in ("torch", "onnx", "int8"))
    )
    assert result["threads"] == 1


def test_bench_bad_set_is_one_line(capsys):
    assert main(["bench", "--seconds", "1", "--set", "inference.nope=1"]) == 1
    assert capsys.readouterr().err.strip().startswith("avatar: error: unknown config key")


def test_bench_bad_seconds_is_one_line(capsys):
    assert main(["bench", "--seconds", "0"]) == 1
    assert capsys.readouterr().err.strip().startswith("avatar: error: --seconds")
