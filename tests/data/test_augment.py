"""Augmentation: lengths kept (speed aside), SNR as asked, non-speech labelled silence and shut."""

import itertools

import numpy as np
import pytest

from avatar.data import effects, nonspeech
from avatar.data.augment import augment
from avatar.data.augment import recording_chain as augment_recording
from avatar.data.labels import PHONE_INDEX, phone_track, targets
from avatar.data.timeline import speech_mask, splice
from avatar.lipsync.phones import SILENCE, Phone, fill_silence

SR = 16000


def _speech_like(seconds: float, rng) -> np.ndarray:
    """Voiced-sounding bursts (harmonics of 120 Hz) with pauses, at about -20 dBFS."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 12))
    gate = (np.sin(2 * np.pi * 1.5 * t) > -0.3).astype(float)
    return (0.1 * x * gate + 1e-4 * rng.standard_normal(len(t))).astype(np.float32)


PHONES = fill_silence(
    [Phone("HH", 0.2, 0.3), Phone("AA", 0.3, 0.5), Phone("M", 0.5, 0.6), Phone("B", 1.0, 1.1),
     Phone("AA", 1.1, 1.4), Phone("P", 1.4, 1.5)],
    2.0,
)  # fmt: skip


def test_effects_keep_the_length():
    rng = np.random.default_rng(0)
    x = _speech_like(1.3, rng)
    rir = effects.room_response(0.5, 3.0, rng)
    assert rir[0] == 1.0 and len(rir) == SR // 2  # direct sound at lag 0: nothing moves in time
    outs = [
        effects.reverb(x, rir),
        effects.equalize(x, tilt_db=-2.0, low_db=6.0, low_hz=200.0, high_db=-9.0, high_hz=3000.0),
        effects.add_noise(x, nonspeech.coloured_noise(len(x), "pink", rng), 10.0, np.abs(x) > 0.01),
        effects.hard_clip(x, 6.0),
        effects.apply_gain(x, 6.0)[0],
    ]
    for y in outs:
        assert y.shape == x.shape and y.dtype == np.float32 and np.all(np.isfinite(y))
    assert np.max(np.abs(outs[3])) == pytest.approx(np.max(np.abs(x)) * 10 ** (-6 / 20), rel=1e-4)
    gained, used = effects.apply_gain(x, 40.0)
    assert np.max(np.abs(gained)) <= 0.999 + 1e-6 and used < 40.0  # no clipping unless asked


def test_speed_scales_length_and_labels():
    x = _speech_like(2.0, np.random.default_rng(1))
    for factor in (0.9, 1.0, 1.07, 1.1):
        y = effects.speed(x, factor)
        assert len(y) == round(len(x) / factor) == round(len(x) * effects.speed_ratio(factor))


@pytest.mark.parametrize("snr_db", [5.0, 17.5, 30.0])
@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
def test_noise_at_the_asked_snr(snr_db, colour):
    rng = np.random.default_rng(2)
    x = _speech_like(2.0, rng)
    speech = speech_mask(PHONES, len(x))
    noise = nonspeech.coloured_noise(len(x), colour, rng)
    y = effects.add_noise(x, noise, snr_db, speech)
    added = y.astype(np.float64) - x
    measured = 10 * np.log10(np.mean(x[speech].astype(np.float64) ** 2) / np.mean(added**2))
    assert measured == pytest.approx(snr_db, abs=0.05)


def test_non_speech_generators():
    rng = np.random.default_rng(3)
    for name, make in nonspeech.GENERATORS.items():
        y = make(8000, rng)
        assert y.shape == (8000,) and y.dtype == np.float32, name
        assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    # pink and brown noise put more power in the lows than white noise
    lows = {}
    for colour in nonspeech.NOISE_COLOURS:
        spectrum = np.abs(np.fft.rfft(nonspeech.coloured_noise(SR, colour, rng))) ** 2
        lows[colour] = spectrum[:500].sum() / spectrum.sum()
    assert lows["white"] < lows["pink"] < lows["brown"]


def test_spliced_non_speech_is_silence_with_a_shut_mouth(cfg):
    """A second of music spliced into the pause: labelled SIL, every target zero inside it."""
    x = _speech_like(2.0, np.random.default_rng(4))
    music = nonspeech.music(SR, np.random.default_rng(5))
    at = round(0.8 * SR)  # the pause between 'm' and 'b'
    y, phones = splice(x, PHONES, at, music)
    assert len(y) == len(x) + SR and phones[-1].end == pytest.approx(3.0)
    assert [p.name for p in phones] == [p.name for p in PHONES]
    assert phones[-2].start == pytest.approx(PHONES[-2].start + 1.0)  # later phones moved a second
    track = phone_track(phones, len(y))
    assert np.all(track[round(0.8 * 50) : round(1.8 * 50)] == PHONE_INDEX[SILENCE])
    t = targets(phones, len(y), cfg.inference.phonetic).astype(np.float32)
    centres = (np.arange(len(t)) + 0.5) / 30
    inside = (centres > 0.8) & (centres < 1.8)
    assert inside.sum() == 30 and np.all(t[inside] == 0.0)
    assert t[(centres > 0.3) & (centres < 0.5)].max() > 0.3  # and the mouth does open for 'AA'


def test_augment_moves_labels_with_the_audio():
    x = _speech_like(2.0, np.random.default_rng(6))
    stub_babble = nonspeech.coloured_noise  # any n-sample noise stands in for the crowd
    for seed in range(12):
        rng = np.random.default_rng(seed)
        out = augment(x, PHONES, rng, lambda n, r: stub_babble(n, "white", r))
        p = out.params
        grown = sum(i.end - i.start for i in out.inserts if i.kind != "breath" or i.start > p["lead_s"] * SR)
        expected = round(len(x) / p["speed"]) + grown + round(p["lead_s"] * SR) + round(p["trail_s"] * SR)
        assert abs(len(out.audio) - expected) <= 2
        assert out.phones[0].start == 0.0 and out.phones[-1].end == len(out.audio) / SR
        sounding = [q for q in out.phones if q.name != SILENCE]
        assert len(sounding) == 6
        assert sounding[0].start == pytest.approx(p["lead_s"] + 0.2 / p["speed"], abs=2e-3)
        assert sum(q.duration for q in sounding) == pytest.approx(0.9 / p["speed"], abs=2e-3)
        for insert in out.inserts:  # every non-speech stretch lies in silence
            mid = (insert.start + insert.end) / 2 / SR
            assert next(q for q in out.phones if q.start <= mid < q.end).name == SILENCE
        if p["noise"]:
            assert 5.0 <= p["noise"]["snr_db"] <= 30.0
        assert np.max(np.abs(out.audio)) <= 1.0


def test_non_speech_clip_tiles_segments_within_full_scale():
    audio, segments = nonspeech.clip(16000 * 6, np.random.default_rng(3))
    assert audio.dtype == np.float32 and len(audio) == 16000 * 6 and np.abs(audio).max() <= 0.99
    assert segments[0]["start"] == 0 and segments[-1]["end"] == len(audio)
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(segments))
    assert {s["kind"] for s in segments} <= set(nonspeech.CLIP_KINDS)
    assert np.sqrt(np.mean(audio**2)) > 1e-4  # never digital silence: a noise floor runs under it


def test_non_speech_utterance_is_labelled_silence(tmp_path, cfg):
    from avatar.data.utterance import NONSPEECH, Job, make

    rng_first = [np.random.default_rng([7, i]).random() for i in range(200)]
    index = next(i for i, r in enumerate(rng_first) if r < 0.08)  # the first non-speech utterance
    for sub in ("audio", "labels"):
        (tmp_path / sub).mkdir()
    record = make(Job(index, 7, ("en",), cfg.inference.phonetic, tmp_path, "test"))
    assert record["label_method"] == NONSPEECH and record["speech_s"] == 0.0
    labels = np.load(tmp_path / record["labels"])
    assert np.all(labels["phones50"] == PHONE_INDEX[SILENCE]) and not labels["targets30"].any()
    assert list(labels["seg_start"]) == [0] and list(labels["seg_end"]) == [record["samples"]]


def test_the_recording_chain_alone_keeps_timing_and_draws_no_babble_unless_given():
    rng = np.random.default_rng(3)
    x = _speech_like(2.0, rng)
    speech = np.ones(len(x), bool)
    kinds = set()
    for seed in range(40):
        params: dict = {}
        y = augment_recording(x, speech, np.random.default_rng(seed), params)
        assert y.shape == x.shape and y.dtype == np.float32 and np.isfinite(y).all()
        kinds.add((params["noise"] or {}).get("kind"))
    assert "babble" not in kinds and {"white", "pink", "brown"} <= kinds
    a, b = (augment_recording(x, speech, np.random.default_rng(7), {}) for _ in range(2))
    assert np.array_equal(a, b)  # reproducible for a generator
