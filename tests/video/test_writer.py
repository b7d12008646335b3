import os
from pathlib import Path

import numpy as np
import pytest

from avatar.audio import FrameClock
from avatar.errors import OutputError
from avatar.video import VideoWriter, faststart, probe

from .helpers import FPS, SR, decode_audio, decode_video, moving_pattern, tone


def test_browser_friendly_mp4(out):
    audio = tone(3.0)
    n = FrameClock(FPS, SR).num_frames(len(audio))
    assert n == 90
    with VideoWriter(out, 64, audio=audio) as writer:
        for frame in moving_pattern(n):
            writer.write(frame)
    info = probe(out)
    assert info["video_codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (64, 64)
    assert info["fps"] == 30.0 and info["frames"] == 90
    assert info["colorspace"] == 1  # tagged BT.709, the matrix the RGB was converted with
    assert info["audio_codec"] == "aac" and info["sample_rate"] == 48000 and info["channels"] == 1
    assert abs(info["video_duration"] - 3.0) < 1 / FPS
    assert abs(info["audio_duration"] - 3.0) < 1 / FPS
    assert info["faststart"] is True
    assert not [p for p in out.parent.iterdir() if p != out]  # the temporary file is gone


def test_audio_and_video_in_sync(out):
    """One white frame at 1.5 s, one 20 ms click at 1.5 s: decoded back, they coincide."""
    frames = np.zeros((90, 64, 64, 3), dtype=np.uint8)
    frames[45] = 255
    audio = np.zeros(3 * SR, dtype=np.float32)
    click = slice(int(1.5 * SR), int(1.52 * SR))
    audio[click] = 0.8 * np.sin(2 * np.pi * 1000 * np.arange(click.stop - click.start) / SR)
    with VideoWriter(out, 64, audio=audio) as writer:
        writer.write(frames)

    times, decoded = decode_video(out)
    flash = int(np.argmax(decoded.mean(axis=(1, 2, 3))))
    start, samples, rate = decode_audio(out)
    envelope = np.abs(samples)
    onset = start + np.argmax(envelope > 0.25 * envelope.max()) / rate

    assert flash == 45 and times[0] == 0.0 and start == 0.0
    assert abs(onset - times[flash]) < 1 / FPS
    # Tighter than a frame: a lost AAC priming offset (1024 samples, 21 ms) would fail here.
    assert abs(onset - 1.5) < 0.005


@pytest.mark.parametrize(("audio_seconds", "label"), [(1.2, "shorter: padded"), (5.0, "longer: cut")])
def test_audio_is_fitted_to_the_video(out, audio_seconds, label):
    with VideoWriter(out, 64, audio=tone(audio_seconds)) as writer:
        writer.write(moving_pattern(60))
    info = probe(out)
    assert abs(info["audio_duration"] - 2.0) < 1024 / 48000, label  # one AAC frame
    start, samples, rate = decode_audio(out)
    assert start == 0.0 and 2.0 * rate <= len(samples) < 2.0 * rate + 1024


@pytest.mark.parametrize("audio_rate", [44100, 48000])
def test_any_audio_rate(out, audio_rate):
    t = np.arange(2 * audio_rate) / audio_rate
    audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with VideoWriter(out, 64, audio=audio, audio_rate=audio_rate) as writer:
        writer.write(moving_pattern(60))
    assert abs(probe(out)["audio_duration"] - 2.0) < 1024 / 48000
    _, samples, rate = decode_audio(out)
    spectrum = np.abs(np.fft.rfft(samples[:rate]))
    assert abs(np.argmax(spectrum) - 440) <= 1  # a 1 s window has 1 Hz bins


def test_batches_and_single_frames_agree(tmp_path):
    frames = moving_pattern(20)
    with VideoWriter(tmp_path / "batch.mp4", 64) as writer:
        writer.write(frames[:7])
        writer.write(frames[7:])
    with VideoWriter(tmp_path / "single.mp4", 64) as writer:
        for frame in frames:
            writer.write(frame)
    _, batch = decode_video(tmp_path / "batch.mp4")
    _, single = decode_video(tmp_path / "single.mp4")
    assert batch.shape == single.shape == (20, 64, 64, 3)
    assert np.abs(batch.astype(int) - single).max() <= 2
    assert np.abs(batch.astype(int) - frames).mean() < 3  # and both look like the input


def test_colours_survive(out):
    skin = np.broadcast_to(np.array([224, 172, 140], dtype=np.uint8), (4, 64, 64, 3))
    with VideoWriter(out, 64) as writer:
        writer.write(skin)
    _, decoded = decode_video(out)
    # Within 2 levels: the RGB -> YUV matrix and the one the file is tagged with agree.
    assert np.abs(decoded.astype(int) - skin).max() <= 2


def test_torch_tensor_frames(out):
    torch = pytest.importorskip("torch")
    with VideoWriter(out, 64) as writer:
        writer.write(torch.from_numpy(moving_pattern(5)))
    assert probe(out)["frames"] == 5


def test_512_and_rectangular(tmp_path):
    with VideoWriter(tmp_path / "big.mp4", 512, audio=tone(0.5)) as writer:
        writer.write(moving_pattern(15, 512))
    info = probe(tmp_path / "big.mp4")
    assert (info["width"], info["height"], info["frames"]) == (512, 512, 15)

    with VideoWriter(tmp_path / "wide.mp4", (96, 64)) as writer:  # (width, height)
        writer.write(np.zeros((3, 64, 96, 3), dtype=np.uint8))
    info = probe(tmp_path / "wide.mp4")
    assert (info["width"], info["height"], info["frames"]) == (96, 64, 3)


def test_no_audio(out):
    with VideoWriter(out, 64) as writer:
        writer.write(moving_pattern(30))
    info = probe(out)
    assert info["frames"] == 30 and info["audio_codec"] is None and info["faststart"]


def test_odd_size_is_refused_before_anything_is_written(out):
    with pytest.raises(ValueError, match="even"):
        VideoWriter(out, (65, 64))
    with pytest.raises(ValueError, match="even"):
        VideoWriter(out, 63)
    with pytest.raises(ValueError, match="width, height"):
        VideoWriter(out, (64, 64, 3))
    assert not any(out.parent.iterdir())


@pytest.mark.parametrize(
    ("frames", "match"),
    [
        (np.zeros((64, 64, 3), dtype=np.float32), "uint8"),
        (np.zeros((64, 64, 3), dtype=np.int64), "uint8"),
        (np.zeros((64, 32, 3), dtype=np.uint8), "shape"),
        (np.zeros((64, 64, 4), dtype=np.uint8), "shape"),
        (np.zeros((64, 64), dtype=np.uint8), "shape"),
        ([[0, 0, 0]], "numpy"),
    ],
)
def test_bad_frames(out, frames, match):
    with pytest.raises(ValueError, match=match), VideoWriter(out, 64) as writer:
        writer.write(frames)
    assert not any(out.parent.iterdir())


def test_bad_audio(out):
    with pytest.raises(ValueError, match="1-D float"):
        VideoWriter(out, 64, audio=np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(ValueError, match="1-D float"):
        VideoWriter(out, 64, audio=np.zeros(100, dtype=np.int16))


def test_bad_settings(out):
    for kwargs, match in [({"preset": "warp"}, "preset"), ({"crf": 60}, "crf"), ({"fps": 0}, "fps")]:
        with pytest.raises(ValueError, match=match):
            VideoWriter(out, 64, **kwargs)


def test_unwritable_destinations(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        VideoWriter(tmp_path / "missing" / "out.mp4", 64)
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(OutputError, match="directory"):
        VideoWriter(tmp_path / "dir.mp4", 64)
    with pytest.raises(OutputError, match=r"\.mp4"):
        VideoWriter(tmp_path / "out.avi", 64)
    assert [p.name for p in tmp_path.iterdir()] == ["dir.mp4"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_folder(read_only_folder):
    with pytest.raises(OutputError, match="ermission"):
        VideoWriter(read_only_folder / "out.mp4", 64)


def test_read_only_folder_even_as_root(read_only_folder, unprivileged):
    """The test above, which root skips, in a process held to the folder's mode even as root."""
    code = """if True:
        import sys
        from avatar.errors import OutputError
        from avatar.video import VideoWriter
        try:
            VideoWriter(sys.argv[1], 64)
        except OutputError as exc:
            print(exc)
    """
    done = unprivileged(code, str(read_only_folder / "out.mp4"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"cannot write {read_only_folder / 'out.mp4'}: Permission denied\n"
    assert not any(read_only_folder.iterdir())


def test_permission_denied_is_an_output_error(out, monkeypatch):
    """What a read-only folder does for users other than root (which the tests may run as)."""

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(OutputError, match=f"cannot write {out}: Permission denied"):
        VideoWriter(out, 64)


def test_exception_inside_with_leaves_no_file(out):
    out.write_bytes(b"an older video")
    with pytest.raises(RuntimeError, match="render failed"), VideoWriter(out, 64, audio=tone(2.0)) as writer:
        writer.write(moving_pattern(10))
        raise RuntimeError("render failed")
    assert out.read_bytes() == b"an older video"  # untouched, and no partial file beside it
    assert [p.name for p in out.parent.iterdir()] == ["out.mp4"]


def test_no_frames_is_an_error_and_leaves_no_file(out):
    with pytest.raises(ValueError, match="no frames"), VideoWriter(out, 64, audio=tone(1.0)):
        pass
    assert not any(out.parent.iterdir())


def test_abandoned_writer_leaves_no_file(out):
    writer = VideoWriter(out, 64)
    writer.write(moving_pattern(3))
    del writer  # never closed: the finalizer removes the partial file
    assert not any(out.parent.iterdir())


def test_write_after_close(out):
    writer = VideoWriter(out, 64)
    writer.write(moving_pattern(3))
    writer.close()
    writer.close()  # closing twice is harmless
    with pytest.raises(ValueError, match="closed"):
        writer.write(moving_pattern(1))


def test_file_permissions_follow_umask(out):
    old = os.umask(0o022)
    try:
        with VideoWriter(out, 64) as writer:
            writer.write(moving_pattern(1))
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # not the 0o600 of a private temporary file


def test_faststart_scan(tmp_path):
    moov_last = tmp_path / "slow.mp4"
    moov_last.write_bytes(b"\0\0\0\x10ftypisom\0\0\0\0" + b"\0\0\0\x08mdat" + b"\0\0\0\x08moov")
    assert faststart(moov_last) is False
    moov_first = tmp_path / "fast.mp4"
    moov_first.write_bytes(b"\0\0\0\x10ftypisom\0\0\0\0" + b"\0\0\0\x08moov" + b"\0\0\0\x08mdat")
    assert faststart(moov_first) is True
    assert faststart(Path(__file__)) is False  # not an MP4 at all
