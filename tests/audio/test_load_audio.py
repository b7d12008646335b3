import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

import avatar
from avatar.audio import SAMPLE_RATE, audio_duration, load_audio
from avatar.errors import AudioError

from .helpers import FIXTURES, PAUSE_SAMPLES, envelope

CLIP_SAMPLES = 16320  # formats/clip.* hold the first 1.02 s of the speech in pauses.wav
FORMATS = ["clip.flac", "clip.ogg", "clip.mp3", "clip.m4a", "clip_stereo_44k.wav"]


@pytest.fixture(scope="module")
def clip(pauses):
    return pauses[PAUSE_SAMPLES : PAUSE_SAMPLES + CLIP_SAMPLES]


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_decodes_to_16k_mono(name, clip):
    x = load_audio(FIXTURES / "formats" / name)
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) - CLIP_SAMPLES) <= 0.020 * SAMPLE_RATE
    assert np.abs(x).max() <= 1.0
    n = min(len(x), CLIP_SAMPLES)
    # Lossy codecs change the waveform but not its envelope, and must not shift it in time.
    assert np.corrcoef(envelope(x[:n]), envelope(clip[:n]))[0, 1] > 0.9
    lag = np.argmax(np.correlate(x[:n], clip[:n], "full")) - (n - 1)
    assert abs(lag) <= 2


def test_flac_is_lossless(clip):
    x = load_audio(FIXTURES / "formats" / "clip.flac")
    np.testing.assert_array_equal(x, clip)


def test_stereo_44k_is_averaged_to_mono_16k(clip):
    # The right channel is the left at half amplitude, so the mean is 0.75 x the clip; taking
    # one channel (1.0) or FFmpeg's own downmix ((1 + 0.5) / sqrt(2) = 1.06) would not be.
    x = load_audio(FIXTURES / "formats" / "clip_stereo_44k.wav")
    assert len(x) == CLIP_SAMPLES
    scale = np.dot(x, clip) / np.dot(clip, clip)
    assert scale == pytest.approx(0.75, abs=0.01)
    assert np.corrcoef(x, clip)[0, 1] > 0.99


def test_22050_to_16000_length():
    path = FIXTURES / "espeak.wav"
    n_in = sf.info(path).frames
    assert sf.info(path).samplerate == 22050
    x = load_audio(path)
    assert abs(len(x) - round(n_in * 16000 / 22050)) <= 2


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_resampling_keeps_timing(tmp_path, rate):
    # A click at 0.5 s must land on sample 8000, and the length must follow the rate exactly.
    n_in = 2 * rate + 77
    x = np.zeros(n_in, dtype=np.float32)
    x[rate // 2] = 0.9
    sf.write(tmp_path / "click.wav", x, rate, subtype="PCM_16")
    y = load_audio(tmp_path / "click.wav")
    assert abs(len(y) - round(n_in * 16000 / rate)) <= 2
    assert abs(int(np.argmax(np.abs(y))) - 8000) <= 1


def test_many_channels_are_averaged(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, (16000, 6)).astype(np.float32)
    sf.write(tmp_path / "surround.wav", x, 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(tmp_path / "surround.wav"), x.mean(axis=1), atol=1e-6)


def test_other_sample_rate_and_str_path():
    path = FIXTURES / "espeak.wav"
    x = load_audio(str(path), sample_rate=22050)
    assert len(x) == sf.info(path).frames


def test_audio_duration():
    assert audio_duration(FIXTURES / "pauses.wav") == pytest.approx(sf.info(FIXTURES / "pauses.wav").duration)
    assert audio_duration(FIXTURES / "formats" / "clip.m4a") == pytest.approx(1.02, abs=0.02)


def _write_av(path, *, video: bool, audio: bool, samples: int = 16384) -> None:
    """A tiny container with a 16x16 mpeg4 video stream and/or an AAC audio stream."""
    with av.open(str(path), "w") as out:
        # Every stream must exist before the first packet: that writes the header.
        v = out.add_stream("mpeg4", rate=10) if video else None
        a = out.add_stream("aac", rate=16000, layout="mono") if audio else None
        if v is not None:
            v.width, v.height, v.pix_fmt = 16, 16, "yuv420p"
            for i in range(5):
                image = np.full((16, 16, 3), 40 * i, np.uint8)
                frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
                frame.pts = i
                out.mux(v.encode(frame))
            out.mux(v.encode(None))
        if a is not None:
            tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 16000).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(tone[None, :], format="flt", layout="mono")
            frame.sample_rate, frame.pts = 16000, 0
            resampler = av.AudioResampler("fltp", "mono", 16000, frame_size=1024)
            for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
                out.mux(a.encode(chunk))
            out.mux(a.encode(None))


def test_audio_track_of_a_video(tmp_path):
    _write_av(tmp_path / "talk.mp4", video=True, audio=True)
    x = load_audio(tmp_path / "talk.mp4")
    assert abs(len(x) - 16384) <= 0.020 * SAMPLE_RATE  # whole AAC frames, so no end padding
    assert np.sqrt(np.mean(x[2000:14000] ** 2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.1)


def _png(path):
    with av.open(str(path), "w", format="image2") as out:
        s = out.add_stream("png", rate=1)
        s.width, s.height, s.pix_fmt = 8, 8, "rgb24"
        out.mux(s.encode(av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), np.uint8), format="rgb24")))
        out.mux(s.encode(None))


def _make_bad(kind, tmp_path):
    """Create one kind of unusable input in tmp_path; returns (path, words the message must hold)."""
    wav = (FIXTURES / "pauses.wav").read_bytes()
    rng = np.random.default_rng(0)
    if kind == "missing":
        return tmp_path / "nope.wav", "not found"
    if kind == "directory":
        (tmp_path / "folder.wav").mkdir()
        return tmp_path / "folder.wav", "directory"
    if kind == "empty":
        (tmp_path / "empty.wav").touch()
        return tmp_path / "empty.wav", "empty"
    if kind == "random_bytes":
        (tmp_path / "noise.wav").write_bytes(rng.bytes(4000))
        return tmp_path / "noise.wav", "cannot decode"
    if kind == "truncated_header":
        (tmp_path / "cut.wav").write_bytes(wav[:30])
        return tmp_path / "cut.wav", "cannot decode"
    if kind == "garbled_header":
        (tmp_path / "garbled.wav").write_bytes(wav[:12] + rng.bytes(24) + wav[36:])
        return tmp_path / "garbled.wav", "cannot decode"
    if kind == "random_mp3":
        (tmp_path / "noise.mp3").write_bytes(rng.bytes(4000))
        return tmp_path / "noise.mp3", "cannot decode"
    if kind == "text":
        (tmp_path / "notes.txt").write_text("Bob bought a map.")
        return tmp_path / "notes.txt", "unsupported"
    if kind == "png":
        _png(tmp_path / "face.png")
        return tmp_path / "face.png", "unsupported"
    if kind == "png_without_extension":
        _png(tmp_path / "face.png")
        (tmp_path / "face.png").rename(tmp_path / "face")
        return tmp_path / "face", "no audio stream"
    if kind == "video_without_audio":
        _write_av(tmp_path / "silent.mp4", video=True, audio=False)
        return tmp_path / "silent.mp4", "no audio stream"
    if kind == "zero_samples":
        sf.write(tmp_path / "zero.wav", np.zeros(0, np.float32), 16000)
        return tmp_path / "zero.wav", "no audio samples"
    raise AssertionError(kind)


BAD_INPUTS = [
    "missing", "directory", "empty", "random_bytes", "truncated_header", "garbled_header",
    "random_mp3", "text", "png", "png_without_extension", "video_without_audio", "zero_samples",
]  # fmt: skip


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_bad_input_raises_one_line_audio_error(kind, tmp_path):
    path, words = _make_bad(kind, tmp_path)
    with pytest.raises(AudioError) as info:
        load_audio(path)
    message = str(info.value)
    assert path.name in message and words in message
    assert "\n" not in message
    assert info.value.__cause__ is None  # raised `from None`: no FFmpeg traceback attached


def test_ten_minutes_memory_is_about_the_output(tmp_path):
    n = 10 * 60 * 16000
    t = np.arange(n, dtype=np.float32) / 16000
    sf.write(tmp_path / "long.wav", 0.1 * np.sin(2 * np.pi * 200 * t), 16000, subtype="PCM_16")
    del t
    tracemalloc.start()
    x = load_audio(tmp_path / "long.wav")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(x) == n
    assert peak < 1.5 * x.nbytes  # one preallocated mono buffer, nothing per channel or chunk


def test_float_wav_out_of_range_and_nan_is_sanitised(tmp_path):
    x = np.array([0.1, np.nan, np.inf, -np.inf, 2.0, -3.0] * 100, np.float32)
    sf.write(tmp_path / "wild.wav", x, 16000, subtype="FLOAT")
    expected = np.array([0.1, 0, 1, -1, 1, -1], np.float32)
    np.testing.assert_array_equal(load_audio(tmp_path / "wild.wav")[:6], expected)


def test_builtin_sample_clip():
    assets = Path(avatar.__file__).parent / "assets"
    x = load_audio(assets / "sample.wav")
    assert 4.0 <= len(x) / SAMPLE_RATE <= 6.0
    assert sf.info(assets / "sample.wav").samplerate == 16000
    assert "brave whales" in (assets / "sample.txt").read_text()


def test_audio_duration_without_a_header_decodes_only_up_to_the_limit(tmp_path):
    path = tmp_path / "live.webm"  # Opus written as a live WebM: no duration recorded anywhere
    tone = (3000 * np.sin(2 * np.pi * 220 * np.arange(48000 * 20) / 48000)).astype(np.int16)[None]
    with av.open(str(path), "w", format="webm", options={"live": "1"}) as out:
        opus = out.add_stream("libopus", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
        frame.sample_rate = 48000
        out.mux([*opus.encode(frame), *opus.encode(None)])
    with av.open(str(path)) as container:
        assert container.duration is None and container.streams.audio[0].duration is None
    assert audio_duration(path) == pytest.approx(len(load_audio(path)) / SAMPLE_RATE, abs=1e-3)
    assert audio_duration(path) == pytest.approx(20.0, abs=0.05)
    assert 5.0 < audio_duration(path, limit_s=5.0) < 5.5  # stopped just past the limit
