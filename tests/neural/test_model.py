"""The neural lip-sync network with a tiny config: shapes, bounded look-ahead, chunking, checkpoints."""

import numpy as np
import pytest
import torch

from avatar.config import load_config
from avatar.errors import AvatarError
from avatar.lipsync.visemes import ANIMATED_CHANNELS
from avatar.models import lipsync_net, read_checkpoint, save_checkpoint, sha256_of
from avatar.neural.expression_model import ExpressionDims
from avatar.neural.model import LipSyncDims, LipSyncNet, infer
from avatar.neural.speech_encoder import SpeechEncoderDims

TINY = LipSyncDims(
    SpeechEncoderDims(conv_channels=16, dim=32, layers=2, heads=2, ff=64, pos_kernel=4, pos_groups=4,
                      lookahead=5, context=20, dropout=0.0),
    ExpressionDims(in_dim=32, dim=32, layers=2, heads=2, ff=64, pos_kernel=4, pos_groups=4,
                   lookahead=3, context=12, dropout=0.0),
)  # fmt: skip


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return LipSyncNet(TINY).eval()


def audio(seconds, seed=0):
    return np.random.default_rng(seed).standard_normal(int(seconds * 16000)).astype(np.float32) * 0.1


def test_shapes_follow_the_frame_clock(model):
    with torch.no_grad():
        expr, phones = model(torch.from_numpy(audio(2.0))[None])
    assert expr.shape == (1, 60, 64) and phones.shape == (1, 100, 40)
    out = infer(model, audio(1.01))
    assert out.shape == (30, 64) and out.min() >= 0 and out.max() <= 1


def test_lookahead_is_bounded(model):
    x = audio(4.0)
    base = infer(model, x, chunk_s=100)
    k = 60  # frame whose centre is at 2.0167 s
    cut = (k + 0.5) / 30 + TINY.lookahead_s + 0.01
    y = x.copy()
    y[int(cut * 16000) :] = audio(4.0, seed=1)[int(cut * 16000) :]  # change only the far future
    changed = infer(model, y, chunk_s=100)
    np.testing.assert_allclose(changed[: k + 1], base[: k + 1], atol=1e-5)
    assert np.abs(changed[k + 10 :] - base[k + 10 :]).max() > 1e-3  # the future does matter later


def test_chunked_inference_matches_one_pass(model):
    x = audio(9.0, seed=2)
    whole = infer(model, x, chunk_s=100)
    chunked = infer(model, x, chunk_s=1.0)
    np.testing.assert_allclose(chunked, whole, atol=1e-5)


def test_checkpoint_round_trip_and_sha(model, tmp_path):
    path = tmp_path / "tiny.pt"
    digest = save_checkpoint(model, path, train={"seed": 0}, metrics={"val_loss": 1.0})
    assert digest == sha256_of(path) and not list(tmp_path.glob(".*.tmp"))  # renamed into place
    loaded, meta = lipsync_net(path), read_checkpoint("lipsync", path)
    assert meta["train"] == {"seed": 0} and meta["dims"]["encoder"]["dim"] == 32
    x = audio(1.5)
    np.testing.assert_allclose(infer(loaded, x), infer(model, x), atol=1e-6)
    half = tmp_path / "half.pt"
    save_checkpoint(model, half, half=True)
    assert half.stat().st_size < 0.6 * path.stat().st_size
    np.testing.assert_allclose(infer(lipsync_net(half), x), infer(model, x), atol=2e-2)
    with pytest.raises(AvatarError, match="not found"):
        lipsync_net(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(AvatarError, match="cannot be read"):
        lipsync_net(tmp_path / "junk.pt")


def test_default_network_streams_with_under_200_ms_lookahead():
    assert LipSyncDims().lookahead_s <= 0.2


def test_neural_lipsync_is_an_expression_source(model):
    from avatar.neural.lipsync import NeuralLipSync

    seen = []
    cfg = load_config(env={}, overrides={"gate.enabled": False})
    result = NeuralLipSync(model, cfg)(audio(1.0), None, progress=lambda d, t: seen.append((d, t)))
    assert result.expression.shape == (30, 64) and result.method == "neural" and result.phones == []
    assert seen[-1] == (1.0, 1.0)
    assert np.abs(result.expression[:, ANIMATED_CHANNELS]).max() > 0.01  # an untrained net is not silent
    assert not result.expression[:, ~ANIMATED_CHANNELS].any()  # eyes and brows are not its job


def test_speech_gate_shuts_the_mouth_on_noise(model):
    from avatar.neural.lipsync import NeuralLipSync

    expression = NeuralLipSync(model, load_config(env={}))(audio(2.0), None).expression
    assert expression.shape == (60, 64) and not expression.any()  # white noise holds no speech


def test_half_precision_runs_end_to_end(model):
    """precision: fp16 (CUDA) halves the network; every tensor inside must follow, not just weights."""
    import copy

    sound = audio(1.5, seed=3)
    half = infer(copy.deepcopy(model).half(), sound)
    assert half.dtype == np.float32 and np.abs(half - infer(model, sound)).max() < 0.02


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_gives_the_cpu_result(model):
    import copy

    sound = audio(12.0, seed=4)  # two chunks: the chunk plan runs on the GPU too
    gpu = infer(copy.deepcopy(model).to("cuda"), sound)
    np.testing.assert_allclose(gpu, infer(model, sound), atol=1e-4)
