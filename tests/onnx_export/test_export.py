"""avatar export onnx: the ONNX graphs give the torch networks' numbers, at any length, and
the renderer's frames; the INT8 graphs are smaller and close.

(This folder is not named onnx: pytest would put it on the path and shadow the onnx package.)
"""

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from avatar.audio import SAMPLE_RATE, load_audio
from avatar.cli import main
from avatar.expression.channels import CHANNEL_INDEX
from avatar.models import lipsync_net, motion_net, shipped
from avatar.neural.model import infer
from avatar.portrait import default_avatar
from avatar.render import Renderer

SPEECH = Path(__file__).parents[1] / "fixtures" / "espeak.wav"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("onnx")
    assert main(["export", "onnx", str(out), "-q"]) == 0
    return out


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _lipsync(folder: Path, audio: np.ndarray, suffix: str = "") -> np.ndarray:
    features = _session(folder / f"speech_encoder{suffix}.onnx").run(None, {"audio": audio[None]})[0]
    frames = np.arange(round(len(audio) * 30 / 16000))  # the frame clock's count (half up)
    feeds = {"features": features, "frames": frames}
    return _session(folder / f"expression{suffix}.onnx").run(None, feeds)[0][0]


def test_lipsync_and_motion_match_torch(exported):
    lipsync, motion = lipsync_net(), motion_net()
    for seconds in (0.7, 4.2, 1.0170625):  # other lengths than the export's trace; the last frame
        # of the last one is one its whole 20 ms hops do not reach
        audio = (np.random.default_rng(0).standard_normal(int(16000 * seconds)) * 0.1).astype(np.float32)
        onnx_out = _lipsync(exported, audio)
        assert onnx_out.shape == (round(seconds * 30), 64)
        assert np.abs(onnx_out - infer(lipsync, audio)).max() <= 1e-4
    features = np.random.default_rng(1).random((1, 77, 7)).astype(np.float32)
    noise = np.random.default_rng(2).standard_normal((1, 77, 6)).astype(np.float32)
    want = motion(torch.from_numpy(features), torch.from_numpy(noise)).detach().numpy()
    got = _session(exported / "motion.onnx").run(None, {"features": features, "noise": noise})[0]
    assert np.abs(got - want).max() <= 1e-4
    meta = json.loads((exported / "expression.json").read_text())
    assert (
        meta["opset"] == 17 and meta["source_sha256"] == shipped("lipsync")[1] and len(meta["sha256"]) == 64
    )


def test_renderer_matches_torch_within_one_level(exported):
    from avatar.config import load_config
    from avatar.models import load_renderer

    avatar = default_avatar()
    renderer = load_renderer(avatar, 256, load_config(), "cpu")  # the configured mouth, as exported
    rng = np.random.default_rng(3)
    expression = (rng.random((5, 64)) * 0.4).astype(np.float32)  # every layer: mouth open, lids moving
    expression[:, CHANNEL_INDEX["jawOpen"]] = np.linspace(0.0, 0.8, 5)
    expression[1, :2] = 1.0  # a blink
    head = rng.normal(0, 5, (5, 3)).astype(np.float32)
    gaze = rng.normal(0, 10, (5, 2)).astype(np.float32)
    feeds = {"expression": expression, "head": head, "gaze": gaze}
    rgb = _session(exported / "renderer.onnx").run(None, feeds)[0]
    frames = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)
    want = renderer.render(expression, head, gaze)
    assert frames.shape == want.shape == (5, 256, 256, 3)
    assert np.abs(frames.astype(int) - want.astype(int)).max() <= 1
    meta = json.loads((exported / "renderer.json").read_text())
    assert meta["avatar"] == avatar.name and meta["size"] == 256


def _weight_bytes(path: Path) -> tuple[int, int]:
    """(bytes of MatMul/Gemm weights, bytes of every other initializer)."""
    model = onnx.load(str(path))
    matmul_inputs = {
        i for n in model.graph.node if n.op_type in ("MatMul", "Gemm", "MatMulInteger") for i in n.input
    }
    quantized = other = 0
    for init in model.graph.initializer:
        size = len(init.raw_data) or onnx.numpy_helper.to_array(init).nbytes
        if init.name in matmul_inputs or init.name.replace("_quantized", "") in matmul_inputs:
            quantized += size
        else:
            other += size
    return quantized, other


def test_int8_is_smaller_and_close(exported):
    for name in ("speech_encoder", "expression"):
        fp32, _ = _weight_bytes(exported / f"{name}.onnx")
        int8, _ = _weight_bytes(exported / f"{name}.int8.onnx")
        assert fp32 >= 3.5 * int8, name
    audio = load_audio(SPEECH, SAMPLE_RATE)
    full, small = _lipsync(exported, audio), _lipsync(exported, audio, ".int8")
    jaw = CHANNEL_INDEX["jawOpen"]
    assert np.corrcoef(full[:, jaw], small[:, jaw])[0, 1] >= 0.99
    assert np.abs(full - small).max() < 0.2


def test_export_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["export", "onnx", str(tmp_path / "file" / "sub")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("avatar: error: cannot create")


def test_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert main(["export", "onnx", str(tmp_path / "out"), "--model", str(tmp_path / "none.pt")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("avatar: error: lipsync checkpoint not found")


def test_learned_mouth_renderer_matches_torch_within_one_level(tmp_path):
    import matplotlib.cbook

    from avatar.models import mouth_net
    from avatar.onnx.export import export_renderer
    from avatar.portrait.build import build_avatar
    from avatar.portrait.image import read_image

    photo = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)  # mouth closed:
    avatar = build_avatar(read_image(photo), "hopper", photo, "0" * 64)  # the inside is all drawn
    renderer = Renderer(avatar.image, avatar.landmarks, 256, mouth=mouth_net())
    path = export_renderer(tmp_path / "renderer.onnx", renderer, avatar.name)
    expression = np.zeros((4, 64), np.float32)
    expression[:, CHANNEL_INDEX["jawOpen"]] = [0.0, 0.2, 0.5, 0.8]  # shut, then ever wider
    zeros = np.zeros((4, 3), np.float32)
    feeds = {"expression": expression, "head": zeros, "gaze": zeros[:, :2].copy()}
    rgb = _session(path).run(None, feeds)[0]
    frames = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)
    want = renderer.render(expression)
    assert np.abs(frames.astype(int) - want.astype(int)).max() <= 1
