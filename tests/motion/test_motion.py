"""Prosody, the motion generator, the network, the sampler and the user's controls."""

from pathlib import Path

import numpy as np
import pytest
import torch

from avatar.config import load_config
from avatar.eval.motion import motion_stats
from avatar.expression.channels import CHANNEL_INDEX
from avatar.models import load_motion, motion_net, save_checkpoint
from avatar.motion import generator
from avatar.motion.controls import apply_controls
from avatar.motion.model import MotionDims, MotionNet
from avatar.motion.prosody import FEATURES, Prosody, prosody
from avatar.motion.sampler import Motion
from avatar.pipeline import animate, prepare_audio

FIXTURES = Path(__file__).parents[1] / "fixtures"
FPS = 30


@pytest.fixture(scope="module")
def cfg():
    return load_config(env={})


@pytest.fixture(scope="module")
def speech(cfg):
    """The committed TTS fixture, its transcript, 4 times over with pauses: 35 s of talk."""
    audio = prepare_audio(FIXTURES / "pauses.wav", cfg)
    gap = np.zeros(16000 * 2, np.float32)
    return np.concatenate([audio, gap] * 4 + [audio])


def _talk(seconds: float, rng: np.random.Generator) -> Prosody:
    """Synthetic prosody: 2-4 s phrases with 0.5-1.5 s pauses, syllable onsets every ~200 ms."""
    n = int(seconds * FPS)
    f = np.zeros((n, len(FEATURES)), np.float32)
    t = 0
    while t < n:
        length = int(rng.uniform(2, 4) * FPS)
        f[t : t + length, FEATURES.index("speech")] = 1.0
        f[t : t + length, FEATURES.index("loudness")] = 0.8 + 0.2 * np.sin(np.arange(len(f[t : t + length])))
        f[t : t + length : 6, FEATURES.index("onset")] = 0.5
        f[t, FEATURES.index("speech_onset")] = 1.0
        f[min(t + length, n) - 1, FEATURES.index("speech_offset")] = 1.0
        t += length + int(rng.uniform(0.5, 1.5) * FPS)
    return Prosody(f, FPS)


# --- prosody -------------------------------------------------------------------------------------


def test_prosody_hears_loudness_pitch_and_speech(cfg, speech):
    p = prosody(speech, cfg)
    assert p.features.shape == (round(len(speech) / 16000 * FPS), len(FEATURES))
    talking = p.column("speech") > 0.5
    assert 0.3 < talking.mean() < 0.8  # the 2 s gaps are heard as pauses
    assert p.column("loudness")[talking].mean() > 0.6 > p.column("loudness")[~talking].mean()
    assert p.column("voiced")[~talking].mean() < 0.05 and p.column("voiced")[talking].mean() > 0.3
    assert p.column("speech_onset").sum() == p.column("speech_offset").sum() >= 5


def test_prosody_pitch_of_a_tone(cfg):
    t = np.arange(16000) / 16000
    tone = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in (1, 2, 3)).astype(np.float32) * 0.1
    p = prosody(tone, cfg, regions=[(0.0, 1.0)])
    middle = p.column("pitch")[5:-5]
    assert np.allclose(middle, np.log2(220 / 140), atol=0.03) and p.column("voiced")[5:-5].all()


# --- the generator --------------------------------------------------------------------------------


def test_generator_statistics_match_the_published_ranges():
    rng = np.random.default_rng(0)
    p = _talk(600, rng)
    t = generator.generate(p, generator.noise(len(p.features), FPS, rng), rng)
    minutes = len(p.features) / FPS / 60
    onsets = np.flatnonzero(t.blink_onset)
    assert 10 <= len(onsets) / minutes <= 30
    stats = motion_stats(_blink_animation(t.blink))
    assert min(stats["blink_durations_ms"]) >= 100 and max(stats["blink_durations_ms"]) <= 400
    # blinks come more often just after a phrase ends than elsewhere
    after_end = np.zeros(len(t.blink), bool)
    for e in np.flatnonzero(p.column("speech_offset")):
        after_end[e + 1 : e + 16] = True
    assert after_end[onsets].mean() > 2 * after_end.mean()
    speaking = p.column("speech") > 0.5
    assert t.averted[speaking].mean() > t.averted[~speaking].mean() + 0.1
    assert 1.0 < t.head[:, 0].std() < 6.0 and np.abs(t.gaze).max() <= 12.0


def _blink_animation(blink: np.ndarray):
    from avatar.animation import Animation

    expression = np.zeros((len(blink), 64), np.float32)
    expression[:, CHANNEL_INDEX["eyeBlinkLeft"]] = expression[:, CHANNEL_INDEX["eyeBlinkRight"]] = blink
    return Animation(expression, FPS)


def test_head_motion_is_a_function_of_prosody_and_noise():
    rng = np.random.default_rng(1)
    p = _talk(20, rng)
    z = generator.noise(len(p.features), FPS, rng)
    assert np.array_equal(generator.head_motion(p, z), generator.head_motion(p, z))
    quiet = Prosody(np.zeros_like(p.features), FPS)
    assert generator.head_motion(quiet, z)[:, 0].std() < generator.head_motion(p, z)[:, 0].std()


def test_smooth_noise_has_unit_std_and_little_jitter():
    x = generator.smooth_noise(30000, FPS, 2.0, np.random.default_rng(0))
    white = np.random.default_rng(0).standard_normal(30000)
    assert abs(x.std() - 1.0) < 0.1 and np.abs(np.diff(x, 2)).mean() < 0.15 * np.abs(np.diff(white, 2)).mean()


# --- the network ----------------------------------------------------------------------------------


def test_network_look_ahead_is_bounded(tmp_path):
    torch.manual_seed(0)
    net = MotionNet(MotionDims(hidden=16)).eval()
    f = torch.rand(1, 100, len(FEATURES))
    z = torch.randn(1, 100, generator.NUM_NOISE)
    out = net(f, z)
    assert out.shape == (1, 100, 5)
    f2 = f.clone()
    f2[:, 60:] = 0.0  # change only frames 60 on
    changed = (net(f2, z) - out).abs().amax(dim=-1)[0]
    assert changed[: 60 - net.dims.future].max() == 0 and changed[60 - net.dims.future] > 0

    path = tmp_path / "m.pt"
    save_checkpoint(net, path)
    again = motion_net(path)
    assert again.dims == net.dims and torch.equal(again(f, z), out)


# --- the shipped model and the controls -------------------------------------------------------------


def test_shipped_motion_is_seeded_and_lively(cfg, speech):
    model = load_motion(cfg)
    n = round(len(speech) / 16000 * FPS)
    a, b = model(speech, n), model(speech, n)
    assert np.array_equal(a.head, b.head) and np.array_equal(a.blink, b.blink)
    other = load_motion(load_config(env={}, overrides={"controls.seed": 1}))(speech, n)
    assert not np.array_equal(a.blink, other.blink)
    assert a.head.shape == (n, 3) and 0.5 < a.head[:, 0].std() < 8.0
    blinks = motion_stats(_blink_animation(a.blink))
    assert 5 <= blinks["blinks_per_minute"] <= 35


def _controls(**values):
    return load_config(env={}, overrides={f"controls.{k}": v for k, v in values.items()}).inference.controls


def test_controls_still_blink_gaze():
    rng = np.random.default_rng(0)
    expression = rng.uniform(0, 0.5, (50, 64)).astype(np.float32)
    motion = Motion(rng.normal(0, 2, (50, 3)), rng.normal(0, 5, (50, 2)), np.linspace(0, 1, 50))
    anim = apply_controls(expression, motion, _controls(), FPS)
    assert np.array_equal(anim.head, motion.head.astype(np.float32)) and anim.gaze.any()
    assert anim.expression[-1, CHANNEL_INDEX["eyeBlinkLeft"]] == 1.0
    still = apply_controls(expression, motion, _controls(still=True, blink=False, gaze="camera"), FPS)
    assert not still.head.any() and not still.gaze.any()
    assert np.array_equal(still.expression, expression)
    half = apply_controls(expression, motion, _controls(head_motion=0.5), FPS)
    assert np.allclose(half.head, motion.head * 0.5)


def test_expression_scale_and_emotion_keep_the_lip_sync():
    rng = np.random.default_rng(0)
    expression = rng.uniform(0, 0.5, (50, 64)).astype(np.float32)
    jaw, seal = CHANNEL_INDEX["jawOpen"], CHANNEL_INDEX["lipSeal"]
    scaled = apply_controls(expression, None, _controls(expression_scale=0.5), FPS).expression
    assert np.allclose(scaled[:, jaw], expression[:, jaw] * 0.5)
    assert np.array_equal(scaled[:, seal], expression[:, seal])  # closures stay closures
    for emotion in ("happy", "sad", "angry", "surprised"):
        out = apply_controls(expression, None, _controls(emotion=emotion), FPS).expression
        assert np.array_equal(out[:, [jaw, seal]], expression[:, [jaw, seal]])
        assert (out - expression).max() > 0.3
    happy = apply_controls(expression, None, _controls(emotion="happy"), FPS).expression
    assert (happy[:, CHANNEL_INDEX["mouthSmileLeft"]] >= expression[:, CHANNEL_INDEX["mouthSmileLeft"]]).all()


def test_animate_with_everything_off_is_the_lip_sync(cfg, speech):
    quiet = load_config(
        env={},
        overrides={
            "controls.still": True,
            "controls.blink": False,
            "controls.gaze": "camera",
            "filter.enabled": False,
        },
    )
    anim, result = animate(speech, None, quiet)
    assert np.array_equal(anim.expression, result.expression) and not anim.head.any() and not anim.gaze.any()
    lively, _ = animate(speech, None, cfg)
    assert lively.head.std() > 0.3 and lively.gaze.any()
