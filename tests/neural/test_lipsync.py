"""NeuralLipSync: the shipped network as an expression source, on the configured frame clock."""

import numpy as np
import pytest

from avatar.audio import FrameClock
from avatar.config import load_config
from avatar.expression.channels import CHANNEL_INDEX
from avatar.lipsync import PhoneticLipSync
from avatar.lipsync.visemes import ANIMATED_CHANNELS
from avatar.models import lipsync_net
from avatar.neural.lipsync import NeuralLipSync, retime
from avatar.pipeline import prepare_audio, sample_clip


@pytest.fixture(scope="module")
def speech():
    clip, text = sample_clip()
    return prepare_audio(clip, load_config(env={})), text


@pytest.fixture(scope="module")
def net():
    return lipsync_net()


def _cfg(fps: int, gate: bool = True):
    return load_config(env={}, overrides={"lipsync": "neural", "model.fps": fps, "gate.enabled": gate})


@pytest.mark.parametrize("fps", [25, 60])
def test_neural_and_phonetic_give_the_frame_clocks_count(speech, net, fps):
    audio, text = speech
    neural = NeuralLipSync(net, _cfg(fps))(audio).expression
    phonetic = PhoneticLipSync(_cfg(fps))(audio, text).expression
    assert len(neural) == len(phonetic) == FrameClock(fps).num_frames(len(audio))  # 142 at 25 fps


@pytest.mark.parametrize("fps", [25, 60])
def test_curves_at_another_fps_are_the_30_fps_ones_at_the_same_times(speech, net, fps):
    audio, _ = speech
    at30 = NeuralLipSync(net, _cfg(30, gate=False))(audio).expression
    other = NeuralLipSync(net, _cfg(fps, gate=False))(audio).expression
    t30 = (np.arange(len(at30)) + 0.5) / 30  # frame centres, where both are sampled
    t = (np.arange(len(other)) + 0.5) / fps
    want = np.stack([np.interp(t, t30, at30[:, c]) for c in range(64)], axis=1)
    assert other.shape == want.shape
    assert np.abs(other[:, ANIMATED_CHANNELS] - want[:, ANIMATED_CHANNELS]).max() < 1e-5
    assert (
        np.ptp(other[:, CHANNEL_INDEX["jawOpen"]]) > 0.15
    )  # the mouth moves: not a flat track that would match anyway


def test_retime_is_linear_between_frame_centres_and_holds_at_the_ends():
    ramp = np.repeat((np.arange(30, dtype=np.float32)[:, None] + 0.5) / 30, 3, axis=1)  # value = time (s)
    out = retime(ramp, 30, 25, 25)
    t = (np.arange(25) + 0.5) / 25
    inside = (t >= 0.5 / 30) & (t <= 29.5 / 30)
    np.testing.assert_allclose(out[inside, 0], t[inside], atol=1e-6)
    assert out.dtype == np.float32 and out.shape == (25, 3)
    assert retime(ramp, 30, 30, 30) is ramp  # the network's own clock: untouched
    held = retime(ramp, 30, 60, 62)  # past the last 30 fps centre: its value
    assert held[-1, 0] == pytest.approx(ramp[-1, 0])
