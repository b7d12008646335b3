"""The speech gate: open in speech, ramps either side, shut elsewhere; real speech keeps moving."""

import numpy as np

from avatar.lipsync import PhoneticLipSync
from avatar.lipsync.gate import gate_expression, speech_gate
from avatar.lipsync.phones import SILENCE


def test_gate_is_open_in_speech_and_ramps_either_side():
    gate = speech_gate([(1.0, 2.0)], 120, 30.0, open_s=0.2, close_s=0.1)
    t = (np.arange(120) + 0.5) / 30
    assert np.all(gate[(t >= 1.0) & (t <= 2.0)] == 1.0)
    assert np.all(gate[(t < 0.8) | (t > 2.1)] == 0.0)
    ramp_up = gate[(t > 0.8) & (t < 1.0)]
    assert len(ramp_up) == 6 and np.all(np.diff(ramp_up) > 0) and ramp_up.min() > 0 and ramp_up.max() < 1
    assert np.all(np.diff(gate[(t > 2.0) & (t < 2.1)]) < 0)


def test_overlapping_ramps_take_the_larger_value():
    gate = speech_gate([(0.5, 1.0), (1.1, 1.5)], 60, 30.0, open_s=0.2, close_s=0.2)
    t = (np.arange(60) + 0.5) / 30
    assert gate[(t > 1.0) & (t < 1.1)].min() > 0.5  # a 100 ms gap does not shut the mouth


def test_gate_keeps_speech_and_shuts_silence(cfg, clip):
    audio, text = clip("pauses")
    silence = np.zeros(16000, np.float32)
    padded = np.concatenate([silence, audio, silence])
    phones = PhoneticLipSync(cfg)(padded, text).phones  # forced alignment: where the words are
    t = (np.arange(len(padded) * 30 // 16000) + 0.5) / 30
    gated = gate_expression(padded, np.ones((len(t), 64), np.float32), cfg)[:, 0]
    sounding = np.zeros(len(t), bool)
    for p in phones:
        if p.name != SILENCE:
            sounding |= (t >= p.start) & (t < p.end)
    assert sounding.sum() > 30 and (gated[sounding] == 1).mean() > 0.95
    assert np.all(gated[t < 0.6] == 0) and np.all(gated[t > t[-1] - 0.6] == 0)
    assert (gated[~sounding] < 1).mean() > 0.5  # the pauses between phrases close too
