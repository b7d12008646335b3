"""avatar export onnx: the ONNX networks give the torch networks' numbers, at any length.

(This folder is not named onnx: pytest would put it on the path and shadow the onnx package.)
"""

import json

import numpy as np
import onnxruntime as ort
import torch

from avatar.cli import main
from avatar.motion.model import load_motion
from avatar.neural.model import infer, load_model
from avatar.weights import shipped


def test_export_matches_torch(tmp_path, capsys):
    assert main(["export", "onnx", str(tmp_path)]) == 0
    lipsync, motion = load_model(*shipped("lipsync"))[0], load_motion(*map(str, shipped("motion")))
    session = ort.InferenceSession(str(tmp_path / "lipsync.onnx"), providers=["CPUExecutionProvider"])
    for seconds in (0.7, 4.2):  # another length than the export's trace
        audio = (np.random.default_rng(0).standard_normal(int(16000 * seconds)) * 0.1).astype(np.float32)
        onnx = session.run(None, {"audio": audio[None]})[0][0]
        assert onnx.shape == (round(seconds * 30), 64)
        assert np.abs(onnx - infer(lipsync, audio)).max() <= 1e-4
    session = ort.InferenceSession(str(tmp_path / "motion.onnx"), providers=["CPUExecutionProvider"])
    features = np.random.default_rng(1).random((1, 77, 7)).astype(np.float32)
    noise = np.random.default_rng(2).standard_normal((1, 77, 6)).astype(np.float32)
    want = motion(torch.from_numpy(features), torch.from_numpy(noise)).detach().numpy()
    assert np.abs(session.run(None, {"features": features, "noise": noise})[0] - want).max() <= 1e-4
    meta = json.loads((tmp_path / "lipsync.json").read_text())
    assert (
        meta["opset"] == 17 and meta["source_sha256"] == shipped("lipsync")[1] and len(meta["sha256"]) == 64
    )


def test_export_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["export", "onnx", str(tmp_path / "file" / "sub")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("avatar: error: cannot create")
