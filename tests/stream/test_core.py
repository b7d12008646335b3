"""The streaming core: same frames as offline, any chunk size, idling when starved, bounded memory."""

from pathlib import Path

import numpy as np
import pytest

from avatar.config import load_config
from avatar.expression.channels import CHANNEL_INDEX
from avatar.pipeline import animate, prepare_audio
from avatar.stream.core import AvatarStream, live_networks

FIXTURES = Path(__file__).parents[1] / "fixtures"
JAW = CHANNEL_INDEX["jawOpen"]


@pytest.fixture(scope="module")
def nets():
    return live_networks()


@pytest.fixture(scope="module")
def speech():
    return prepare_audio(FIXTURES / "pauses.wav", load_config(env={}))


def _cfg(**overrides):
    return load_config(env={}, overrides={"lipsync": "neural", **overrides})


def _stream(cfg, nets, audio, chunk):
    stream, frames = AvatarStream(cfg, *nets), []
    for i in range(0, len(audio), chunk):
        stream.push(audio[i : i + chunk])
        frames += stream.pull()
    stream.end()
    return frames + stream.pull()


def test_stream_matches_offline(nets, speech):
    cfg = _cfg(**{"filter.enabled": False})
    frames = _stream(cfg, nets, speech, 320)
    offline, _ = animate(speech, None, cfg)
    assert [f.index for f in frames] == list(range(offline.num_frames))
    assert all(abs(f.pts - f.index / 30) < 1e-9 for f in frames)
    live = np.stack([f.expression for f in frames])
    assert np.corrcoef(live[:, JAW], offline.expression[:, JAW])[0, 1] > 0.995
    head = np.stack([f.head for f in frames])
    assert np.corrcoef(head[:, 0], offline.head[:, 0])[0, 1] > 0.99
    heard = np.concatenate([f.audio for f in frames])  # round(duration * 30) frames, as offline
    assert np.array_equal(heard, speech[: len(heard)]) and len(speech) - len(heard) < 16000 / 60


@pytest.mark.parametrize("fps", [25, 60])
def test_stream_at_another_fps_matches_offline(nets, speech, fps):
    # The network runs on its own 30 fps clock; the stream, like the offline path, retimes its
    # curves onto the configured one (frames counted by that clock, not the network's).
    cfg = _cfg(**{"filter.enabled": False, "model.fps": fps})
    frames = _stream(cfg, nets, speech, 320)
    offline, _ = animate(speech, None, cfg)
    assert [f.index for f in frames] == list(range(offline.num_frames))
    assert all(abs(f.pts - f.index / fps) < 1e-9 for f in frames)
    live = np.stack([f.expression for f in frames])
    assert np.corrcoef(live[:, JAW], offline.expression[:, JAW])[0, 1] > 0.99


@pytest.mark.slow
def test_chunk_size_does_not_change_the_frames(nets, speech):
    cfg = _cfg()
    small, large = _stream(cfg, nets, speech, 320), _stream(cfg, nets, speech, 16000)
    assert len(small) == len(large)
    for a, b in zip(small, large, strict=True):
        assert np.allclose(a.expression, b.expression, atol=1e-4) and np.allclose(a.head, b.head, atol=1e-3)
    as_int16 = (np.clip(speech, -1, 1 - 1 / 32768) * 32768).astype("<i2").tobytes()
    stream = AvatarStream(cfg, *nets)
    stream.push(as_int16)
    stream.end()
    assert len(stream.pull()) == len(small)


def test_starved_stream_idles_then_resumes(nets, speech):
    stream = AvatarStream(_cfg(), *nets)
    stream.push(speech[:32000])
    frames = stream.pull()
    while len(frames) < 120:  # 4 s of output with only 2 s of audio: the clock keeps going
        frames += stream.pull(starve=True)
    jaw = np.array([f.expression[JAW] for f in frames])
    assert jaw[:60].max() > 0.1 and jaw[80:120].max() < 0.05  # speaking, then idle and shut
    stream.push(speech[32000:])
    stream.end()
    frames += stream.pull()
    assert [f.index for f in frames] == list(range(len(frames)))
    assert np.array([f.expression[JAW] for f in frames[120:]]).max() > 0.1  # speaking again
    heard = np.concatenate([f.audio for f in frames])
    assert np.array_equal(heard[:32000], speech[:32000]) and not heard[32000:64000].any()


@pytest.mark.slow
def test_memory_stays_bounded(nets, speech):
    stream = AvatarStream(_cfg(), *nets)
    longest = 0
    for _ in range(8):  # 28 s
        stream.push(speech)
        stream.pull()
        longest = max(longest, len(stream._buf))
    assert longest < (2.0 + 0.3 + len(speech) / 16000 + 0.2) * 16000


def test_bad_pushes(nets):
    stream = AvatarStream(_cfg(), *nets)
    with pytest.raises(ValueError, match="even"):
        stream.push(b"\x00\x01\x02")
    with pytest.raises(ValueError, match="mono"):
        stream.push(np.zeros((2, 100), np.float32))
    stream.end()
    with pytest.raises(ValueError, match="ended"):
        stream.push(np.zeros(100, np.float32))
