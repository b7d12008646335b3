"""The AAC track of an MP4, encoded in step with the video frames and cut to the video's length.

The speech arrives whole (mono float32 at any rate) but is encoded a little at a time: after
each batch of video frames, the audio under those frames is resampled to 48 kHz and encoded,
so the muxer can interleave audio and video chunks through the file (a browser playing it
progressively then never has to fetch the whole video before the first audio).

Length rule: a video of n frames gets exactly FrameClock(fps, 48000).frame_start(n) samples of
audio, n * 1600 at 30 fps. Audio past the last frame is dropped; a track shorter than the video
is padded with silence. So both tracks start at 0 and end together: the MP4's edit list hides
the encoder's 1024 priming samples and records the exact length (decoders that ignore the end
of the edit list, PyAV's among them, return up to 1023 extra samples of silence, < 21 ms).
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from ..audio.clock import FrameClock

AAC_RATE = 48000  # Hz; browsers and phones handle 44.1/48 kHz best, and 48000 / 30 = 1600 per frame
AAC_BITRATE = 96_000  # bits/s, mono: transparent for speech, ~0.7 MB per minute


class Soundtrack:
    """Encodes ``audio`` into a new AAC stream of ``container``, one video frame count at a time."""

    def __init__(
        self, container: av.container.OutputContainer, audio: np.ndarray, sample_rate: int, fps: int
    ) -> None:
        self._audio = audio
        self._in_clock = FrameClock(fps, sample_rate)
        self._out_clock = FrameClock(fps, AAC_RATE)
        self._stream = container.add_stream("aac", rate=AAC_RATE, layout="mono")
        self._stream.bit_rate = AAC_BITRATE
        # FFmpeg's default "twoloop" coder costs ~0.7 ms of CPU per video frame; "fast" is 4x
        # cheaper and, at this bitrate, no worse (FFmpeg's docs; higher SNR on the sample clip).
        self._stream.codec_context.options = {"aac_coder": "fast"}
        self._stream.time_base = Fraction(1, AAC_RATE)
        self._container = container
        self._resampler = av.AudioResampler(format="fltp", layout="mono", rate=AAC_RATE)
        self._fed = 0  # input samples given to the resampler
        self._pending: list[np.ndarray] = []  # resampled, not yet encoded
        self._encoded = 0  # 48 kHz samples given to the encoder

    def advance(self, num_frames: int) -> None:
        """Encode the audio under video frames [0, num_frames), as far as the resampler has it."""
        self._feed(self._in_clock.frame_start(num_frames))
        self._encode_up_to(self._out_clock.frame_start(num_frames))

    def finish(self, num_frames: int) -> None:
        """Encode the rest, cut or padded to exactly ``num_frames`` frames, and flush the encoder."""
        self._feed(self._in_clock.frame_start(num_frames))
        self._resample(None)  # the resampler holds back a few samples of filter delay
        target = self._out_clock.frame_start(num_frames)
        missing = target - self._encoded - sum(len(x) for x in self._pending)
        if missing > 0:  # the source was shorter than the video (or the resampler a sample short)
            self._pending.append(np.zeros(missing, dtype=np.float32))
        self._encode_up_to(target)
        self._mux(None)

    def _feed(self, end: int) -> None:
        """Resample input samples [fed, end); past the end of the audio they are silence."""
        if end <= self._fed:
            return
        chunk = np.zeros(end - self._fed, dtype=np.float32)
        have = self._audio[self._fed : end]
        # Clip and clear NaN here, a chunk at a time, instead of copying the whole track up front.
        np.clip(np.nan_to_num(have), -1.0, 1.0, out=chunk[: len(have)])
        frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
        frame.sample_rate = self._in_clock.sample_rate
        frame.time_base = Fraction(1, self._in_clock.sample_rate)
        frame.pts = self._fed
        self._fed = end
        self._resample(frame)

    def _resample(self, frame: av.AudioFrame | None) -> None:
        for out in self._resampler.resample(frame):
            if out is not None:  # a pass-through resampler (48 kHz input) can echo the flush
                self._pending.append(out.to_ndarray()[0])

    def _encode_up_to(self, target: int) -> None:
        """Encode pending samples until ``target`` have been encoded in all; keep the rest."""
        if not self._pending:
            return
        pending = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        take = max(0, min(len(pending), target - self._encoded))
        self._pending = [pending[take:]] if take < len(pending) else []
        if take <= 0:
            return
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pending[None, :take]), format="fltp", layout="mono"
        )
        frame.sample_rate = AAC_RATE
        frame.time_base = Fraction(1, AAC_RATE)
        frame.pts = self._encoded
        self._encoded += take
        self._mux(frame)

    def _mux(self, frame: av.AudioFrame | None) -> None:
        # PyAV re-chunks the frame into the encoder's 1024-sample frames (the last one may be short).
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
