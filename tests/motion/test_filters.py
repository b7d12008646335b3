"""Temporal filtering: jitter goes, lag stays under a frame, closures, blinks and saccades stay sharp."""

from pathlib import Path

import numpy as np
import pytest

from avatar.animation import Animation
from avatar.config import load_config
from avatar.errors import ConfigError
from avatar.eval.motion import jitter, motion_stats
from avatar.expression.channels import CHANNEL_INDEX, CHANNELS, EXPRESSION_DIM, mouth_openness
from avatar.motion.filters import OneEuroFilter, StreamingFilter, channel_families, smooth_offline, zero_phase

FIXTURES = Path(__file__).parent.parent / "fixtures"
FPS = 30
SEAL = CHANNEL_INDEX["lipSeal"]
BLINKS = [CHANNEL_INDEX["eyeBlinkLeft"], CHANNEL_INDEX["eyeBlinkRight"]]
NOISE = 0.03  # per mouth channel; the lip gap (a difference of channels) then wobbles by ~0.04
NOISY_SHUT = 0.08  # so under that noise the lips count as shut below a gap twice its size, not 0.05


@pytest.fixture(scope="module")
def cfg():
    return load_config(env={})


@pytest.fixture(scope="module")
def settings(cfg):
    return cfg.inference.filter


@pytest.fixture(scope="module")
def speech(cfg):
    """The bilabial fixture's clean animation, and the same tiled to 60 s with seeded noise on every
    channel the filter smooths in the mouth (the events are timed and never filtered)."""
    from avatar.lipsync import PhoneticLipSync
    from avatar.pipeline import prepare_audio

    # the lip-sync stage alone: the pipeline's own animate() already filters what it returns
    samples = prepare_audio(FIXTURES / "bilabial.wav", cfg)
    anim = Animation(PhoneticLipSync(cfg)(samples, (FIXTURES / "bilabial.txt").read_text()).expression, FPS)
    fam = channel_families()
    noised = fam["mouth"] | fam["lip_seal"]  # (64,)
    clean = np.tile(anim.expression, (int(np.ceil(60 * FPS / anim.num_frames)), 1))  # (T, 64)
    noisy = clean.copy()
    rng = np.random.default_rng(0)
    noisy[:, noised] += rng.normal(0.0, NOISE, (len(clean), int(noised.sum())))
    noisy = np.clip(noisy, 0.0, 1.0).astype(np.float32)  # the expression contract: [0, 1]
    return anim, clean, noisy, noised


def _lip_gap(expression):
    """(T,) the lips' gap from the shape channels alone (jawOpen against mouthClose, lips apart),
    so a half-set lipSeal cannot pass for a closure."""
    unsealed = np.array(expression, np.float32)
    unsealed[:, SEAL] = 0.0
    return mouth_openness(unsealed)


def _closed(expression):
    """(T,) frames whose lips touch: sealed (P, B, M) or the gap shut (pauses)."""
    return (expression[:, SEAL] >= 0.5) | (_lip_gap(expression) < 0.05)


def _onset_delays(clean, filtered, shut_below=0.05, reach=3):
    """Per closure onset of ``clean``: frames until the lip gap of ``filtered`` is below ``shut_below``
    too (negative: it shut earlier and stayed shut); ``reach + 1`` where it does not within ``reach``."""
    ref, out = _closed(clean), _lip_gap(filtered) < shut_below
    onsets = np.flatnonzero(ref[1:] & ~ref[:-1]) + 1
    delays = []
    for k in onsets:
        j = k
        if out[k]:
            while j > k - reach and out[j - 1]:
                j -= 1
        else:
            while j < min(k + reach, len(out) - 1) and not out[j]:
                j += 1
            j = j if out[j] else k + reach + 1
        delays.append(j - k)
    return onsets, np.array(delays)


def _lag(y, ref, max_lag=6):
    """Delay of ``y`` behind ``ref`` in frames, from the cross-correlation peak (sub-frame)."""
    n, lags = len(ref), range(-max_lag, max_lag + 1)
    ref = ref[max_lag : n - max_lag]
    corr = [np.corrcoef(y[max_lag + lag : n - max_lag + lag], ref)[0, 1] for lag in lags]
    i = int(np.argmax(corr))
    assert 0 < i < len(corr) - 1
    a, b, c = corr[i - 1 : i + 2]
    return i - max_lag + 0.5 * (a - c) / (a - 2 * b + c)


def _stream(settings, anim):
    """``anim`` through a fresh StreamingFilter one frame at a time: (T, 64), (T, 3), (T, 2)."""
    stream = StreamingFilter(settings, FPS)
    frames = [stream.step(e, h, g) for e, h, g in zip(anim.expression, anim.head, anim.gaze, strict=True)]
    return tuple(np.stack(parts) for parts in zip(*frames, strict=True))


def _noisy_sine(seed=0):
    t = np.arange(10 * FPS) / FPS
    clean = 0.5 + 0.25 * np.sin(2 * np.pi * 1.0 * t)  # (T,) a mouth opening and closing once a second
    noisy = clean + np.random.default_rng(seed).normal(0.0, 0.03, len(t))
    return clean, noisy[:, None]  # (T,), (T, 1)


def test_one_euro_halves_jitter_with_under_a_frame_of_lag(settings):
    clean, noisy = _noisy_sine()
    band = settings.mouth
    out = OneEuroFilter(band.min_cutoff_hz, band.beta, settings.d_cutoff_hz, FPS, 1).run(noisy)  # (T, 1)
    assert jitter(out) <= 0.5 * jitter(noisy)
    assert 0.0 <= _lag(out[:, 0], clean) <= 1.0


def test_zero_phase_halves_jitter_without_lag(settings):
    clean, noisy = _noisy_sine()
    out = zero_phase(noisy, FPS, settings.mouth.cutoff_hz)  # (T, 1)
    assert jitter(out) <= 0.5 * jitter(noisy)
    assert abs(_lag(out[:, 0], clean)) < 0.1


def test_one_euro_step_converges_without_overshoot():
    x = np.zeros((60, 2))
    x[10:] = [1.0, -3.0]  # (T, 2) a step per channel, with its own settings
    f = OneEuroFilter(np.array([1.0, 2.0]), np.array([0.5, 0.0]), 1.0, FPS, 2)
    out = f.run(x)
    assert np.all(out[:10] == 0.0)
    np.testing.assert_allclose(out[-1], [1.0, -3.0], atol=1e-3)
    assert np.all(np.diff(out[:, 0]) >= 0) and out[:, 0].max() <= 1.0
    assert np.all(np.diff(out[:, 1]) <= 0) and out[:, 1].min() >= -3.0
    assert out[10, 0] < 1.0  # it filtered: a step passes over several frames
    f.reset()
    np.testing.assert_array_equal(f.step(np.array([0.3, 0.4])), np.float32([0.3, 0.4]))  # fresh again


def test_zero_phase_keeps_a_constant_exactly_and_a_ramp():
    const = np.full((50, 3), 0.37, np.float32)
    out = zero_phase(const, FPS, 4.0)
    assert out.dtype == np.float32 and out is not const
    np.testing.assert_array_equal(out, const)
    ramp = np.linspace(0.0, 1.0, 40)[:, None]
    np.testing.assert_allclose(zero_phase(ramp, FPS, 2.0), ramp, atol=1e-9)


@pytest.mark.parametrize("frames", [0, 1, 2])
def test_short_inputs_pass(settings, frames):
    x = np.random.default_rng(frames).random((frames, 4)).astype(np.float32)
    out = zero_phase(x, FPS, 4.0)
    assert out is not x
    np.testing.assert_array_equal(out, x)
    assert OneEuroFilter(1.0, 0.5, 1.0, FPS, 4).run(x).shape == (frames, 4)
    anim = Animation(np.random.default_rng(frames).random((frames, EXPRESSION_DIM)), FPS)
    smoothed = smooth_offline(anim, settings)
    np.testing.assert_array_equal(smoothed.expression, anim.expression)
    stream = StreamingFilter(settings, FPS)
    for t in range(frames):
        expr, head, gaze = stream.step(anim.expression[t], anim.head[t], anim.gaze[t])
        assert expr.shape == (EXPRESSION_DIM,) and head.shape == (3,) and gaze.shape == (2,)


def test_clean_closures_stay_shut(speech, settings):
    anim, _, _, _ = speech
    out = smooth_offline(anim, settings)
    shut = _closed(anim.expression)
    assert shut.sum() > 20  # the fixture is full of P, B and M
    opening_in, opening_out = mouth_openness(anim.expression), mouth_openness(out.expression)
    assert np.all(opening_out[shut] <= opening_in[shut] + 1e-3)  # a thousandth of the jaw's range
    _, delays = _onset_delays(anim.expression, out.expression)
    assert np.all(delays <= 0)


def test_offline_halves_every_channels_jitter_on_60s_of_speech_without_delaying_closures(speech, settings):
    _, clean, noisy, noised = speech
    before = noisy.copy()
    out = smooth_offline(Animation(noisy, FPS), settings).expression  # (T, 64)
    np.testing.assert_array_equal(noisy, before)  # the input is left alone
    assert len(out) >= 60 * FPS
    for ch in np.flatnonzero(noised):
        assert jitter(out[:, ch]) <= 0.5 * jitter(noisy[:, ch]), CHANNELS[ch]
    events = channel_families()["events"]
    np.testing.assert_array_equal(out[:, events], noisy[:, events])  # timed events: untouched
    onsets, delays = _onset_delays(clean, out, shut_below=NOISY_SHUT)
    assert len(onsets) >= 6 * 26
    assert np.all(delays <= 1), delays.max()


def test_streaming_does_not_delay_closures(speech, settings):
    _, clean, noisy, _ = speech
    out = _stream(settings, Animation(noisy, FPS))[0]  # (T, 64)
    _, delays = _onset_delays(clean, out, shut_below=NOISY_SHUT)
    assert np.all(delays <= 1), delays.max()
    # lipSeal itself (not snapped, only filtered) reaches 0.5 within a frame of each seal
    seal_on = np.flatnonzero((clean[1:, SEAL] >= 0.5) & (clean[:-1, SEAL] < 0.5)) + 1
    assert all((out[k : k + 2, SEAL] >= 0.5).any() for k in seal_on)


def _blink_clip(noise=0.0):
    expression = np.zeros((40, EXPRESSION_DIM), np.float32)
    blink = np.array([0.0, 1 / 3, 2 / 3, 1.0, 2 / 3, 1 / 3, 0.0])  # 0 -> 1 -> 0 over 6 frames
    expression[15:22, BLINKS] = blink[:, None]
    expression[:, BLINKS] += np.random.default_rng(1).normal(0.0, noise, (40, 2))
    expression[:, CHANNEL_INDEX["jawOpen"]] = 0.3  # mouth open: no closure anywhere
    return Animation(np.clip(expression, 0.0, 1.0), FPS)


@pytest.mark.parametrize("noise", [0.0, 0.02])
def test_blinks_keep_peak_and_duration(settings, noise):
    anim = _blink_clip(noise)
    live = _stream(settings, anim)[0]
    before = motion_stats(anim)
    assert before["blinks"] == 1
    for expression in (smooth_offline(anim, settings).expression, live):
        assert expression[:, BLINKS].max(axis=0).min() >= 0.95
        after = motion_stats(Animation(expression, FPS))
        assert after["blinks"] == 1
        assert abs(after["blink_durations_ms"][0] - before["blink_durations_ms"][0]) <= 1000 / FPS


def test_saccades_stay_sharp_while_fixation_noise_goes(settings):
    rng = np.random.default_rng(2)
    gaze = np.zeros((60, 2))
    gaze[30:] = [12.0, -4.0]  # one saccade between fixations
    noisy = gaze + rng.normal(0.0, 0.3, gaze.shape)
    anim = Animation(np.zeros((60, EXPRESSION_DIM)), FPS, gaze=noisy)
    out = smooth_offline(anim, settings).gaze  # (T, 2)
    assert np.linalg.norm(out[30] - out[29]) >= 0.9 * np.linalg.norm(noisy[30] - noisy[29])
    for part in (slice(0, 30), slice(30, 60)):
        assert jitter(out[part]) <= 0.5 * jitter(noisy[part])
    live = _stream(settings, anim)[2]
    np.testing.assert_allclose(live[30], noisy[30], atol=1e-5)  # the saccade frame passes unfiltered


def test_streaming_equals_one_euro_run(settings):
    """Away from closures, blinks and saccades the streaming filter is the per-family one-euro filter."""
    rng = np.random.default_rng(3)
    t = np.arange(90) / FPS
    expression = 0.3 + 0.1 * np.sin(2 * np.pi * 1.5 * t)[:, None]
    expression = expression + rng.normal(0.0, 0.02, (90, EXPRESSION_DIM))  # (T, 64)
    expression[:, CHANNEL_INDEX["jawOpen"]] += 0.2  # lips well apart
    expression[:, CHANNEL_INDEX["mouthClose"]] = 0.0
    expression[:, SEAL] = 0.1
    expression[:, BLINKS] -= 0.15  # eyelids well below a blink
    expression = expression.astype(np.float32)  # (T, 64)
    head = (5.0 * np.sin(2 * np.pi * 0.5 * t)[:, None] + rng.normal(0.0, 0.2, (90, 3))).astype(np.float32)
    gaze = (3.0 * np.sin(2 * np.pi * 0.3 * t)[:, None] + rng.normal(0.0, 0.1, (90, 2))).astype(np.float32)

    live_expr, live_head, live_gaze = _stream(settings, Animation(expression, FPS, head=head, gaze=gaze))

    fam = channel_families()
    min_cutoff, beta = np.ones(EXPRESSION_DIM), np.zeros(EXPRESSION_DIM)
    for name in ("mouth", "lip_seal", "blink", "eyes", "brows_face"):
        band = getattr(settings, name)
        min_cutoff[fam[name]], beta[fam[name]] = band.min_cutoff_hz, band.beta
    d = settings.d_cutoff_hz
    expected = OneEuroFilter(min_cutoff, beta, d, FPS, EXPRESSION_DIM).run(expression)
    expected[:, fam["events"]] = expression[:, fam["events"]]
    np.testing.assert_array_equal(live_expr, expected)
    for live, curves, band in ((live_head, head, settings.head), (live_gaze, gaze, settings.gaze)):
        one_euro = OneEuroFilter(band.min_cutoff_hz, band.beta, d, FPS, curves.shape[1])
        np.testing.assert_array_equal(live, one_euro.run(curves))
    assert jitter(live_expr[:, fam["mouth"]]) < 0.5 * jitter(expression[:, fam["mouth"]])


def test_disabled_is_a_plain_copy(speech, settings):
    anim = speech[0]
    off = settings.model_copy(update={"enabled": False})
    out = smooth_offline(anim, off)
    assert out.expression is not anim.expression
    np.testing.assert_array_equal(out.expression, anim.expression)
    expr, _, _ = StreamingFilter(off, FPS).step(anim.expression[3], anim.head[3], anim.gaze[3])
    np.testing.assert_array_equal(expr, anim.expression[3])


def test_families_cover_every_channel_once():
    masks = np.stack(list(channel_families().values()))  # (F, 64)
    assert np.all(masks.sum(axis=0) == 1)
    assert set(np.array(CHANNELS)[channel_families()["events"]]) == {"plosiveRelease", "voicing"}


@pytest.mark.parametrize(
    ("key", "value"),
    [("filter.mouth.cutoff_hz", 0), ("filter.gaze.beta", -1), ("filter.seal_threshold", 1.5)],
)
def test_filter_config_is_range_checked(key, value):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config({key: value}, env={})
