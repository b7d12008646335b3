"""backend: onnx runs the networks in onnxruntime with the torch path's numbers; precision is
checked against backend and device."""

import numpy as np
import pytest
import torch

from avatar.audio import FrameClock
from avatar.config import load_config
from avatar.errors import AvatarError, ConfigError
from avatar.expression.channels import CHANNEL_INDEX
from avatar.models import lipsync_net, load_lipsync, shipped
from avatar.neural.model import infer
from avatar.onnx.runtime import OnnxLipSync, onnx_lipsync
from avatar.pipeline import blendshapes, prepare_audio, sample_clip


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path))
    return tmp_path


def test_onnx_lipsync_matches_torch_across_chunks(home):
    net, sha256 = lipsync_net(), shipped("lipsync")[1]
    rng = np.random.default_rng(0)
    audio = (np.sin(np.arange(16000 * 23) * 0.05) * rng.random(16000 * 23) * 0.3).astype(np.float32)
    onnx = onnx_lipsync(net, sha256)
    assert np.abs(onnx.infer(audio) - infer(net, audio)).max() <= 1e-4  # 23 s: three chunks
    (folder,) = (home / "onnx").iterdir()
    stamp = (folder / "expression.onnx").stat().st_mtime_ns
    onnx_lipsync(net, sha256, int8=True)  # cached: nothing exported again
    assert (folder / "expression.onnx").stat().st_mtime_ns == stamp
    assert not [p for p in (home / "onnx").iterdir() if p.name.startswith(".")]  # no half exports


def test_backend_onnx_end_to_end(home):
    torch_cfg = load_config(overrides={"lipsync": "neural"})
    onnx_cfg = load_config(overrides={"lipsync": "neural", "backend": "onnx"})
    int8_cfg = load_config(overrides={"lipsync": "neural", "backend": "onnx", "precision": "int8"})
    assert isinstance(load_lipsync(onnx_cfg), OnnxLipSync)
    clip = sample_clip()[0]
    want = blendshapes(clip, cfg=torch_cfg)[0]
    got = blendshapes(clip, cfg=onnx_cfg)[0]
    assert np.abs(got.expression - want.expression).max() <= 1e-3
    assert np.abs(got.head - want.head).max() <= 1e-2 and np.array_equal(got.gaze, want.gaze)
    small = blendshapes(clip, cfg=int8_cfg)[0]
    jaw = CHANNEL_INDEX["jawOpen"]
    assert np.corrcoef(small.expression[:, jaw], want.expression[:, jaw])[0, 1] >= 0.98


def test_backend_onnx_follows_the_configured_fps(home):
    clip = sample_clip()[0]
    torch_cfg = load_config(overrides={"lipsync": "neural", "model.fps": 25})
    onnx_cfg = load_config(overrides={"lipsync": "neural", "backend": "onnx", "model.fps": 25})
    want, got = blendshapes(clip, cfg=torch_cfg)[0], blendshapes(clip, cfg=onnx_cfg)[0]
    assert got.num_frames == want.num_frames == FrameClock(25).num_frames(len(prepare_audio(clip, onnx_cfg)))
    assert np.abs(got.expression - want.expression).max() <= 1e-3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"precision": "int8"}, "int8 runs on backend: onnx"),
        ({"backend": "onnx", "precision": "fp16"}, "fp16 runs on backend: torch"),
        ({"precision": "fp16"}, "fp16 needs device: cuda"),
    ],
)
def test_precision_must_fit_backend_and_device(overrides, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(overrides=overrides)
    assert str(caught.value).startswith("inference.yaml: precision: ")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_fp16_without_a_gpu_is_refused():
    cfg = load_config(overrides={"device": "auto", "precision": "fp16"})
    with pytest.raises(AvatarError, match="fp16 needs a CUDA GPU"):
        load_lipsync(cfg)


def test_an_unwritable_cache_is_one_line(tmp_path, monkeypatch, capsys):
    from avatar.cli import main

    (tmp_path / "home").write_text("not a folder")
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path / "home"))
    args = ["blendshapes", "--audio", str(sample_clip()[0]), "-o", str(tmp_path / "out.csv")]
    assert main([*args, "--lipsync", "neural", "--backend", "onnx"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("avatar: error: cannot write the ONNX cache")
