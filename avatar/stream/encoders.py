"""How a live stream's frames are put on the wire (``WS /stream``'s ``format``).

Each encoder turns a StreamFrame and the count of frames dropped so far into one frame message
(``protocol.pack_frame``): the parameters, then the picture as a JPEG, an H.264 access unit, or
nothing. A session encodes frames only when it sends them (LiveSession.next_message), so the
frames a slow client loses are never encoded: H.264's chain of references never breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from ..audio import FPS
from ..video.writer import yuv420_frame
from .core import StreamFrame
from .protocol import pack_frame

JPEG_QUALITY = 80
H264_CRF = 23
H264_KEYFRAME_S = 2  # a key frame every 2 s: a decoder that lost its state recovers by then

FrameEncoder = Callable[[StreamFrame, int], bytes]


def _params(frame: StreamFrame) -> np.ndarray:
    return np.concatenate([frame.expression, frame.head, frame.gaze])


def params_only(frame: StreamFrame, dropped: int) -> bytes:
    """The 69 parameters, no picture (format "params")."""
    return pack_frame(frame.index, frame.pts, dropped, _params(frame))


def jpeg(frame: StreamFrame, dropped: int) -> bytes:
    """The parameters and the picture as a JPEG (format "jpeg")."""
    data = b""
    if frame.image is not None:
        ok, encoded = cv2.imencode(".jpg", frame.image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        data = encoded.tobytes() if ok else b""
    return pack_frame(frame.index, frame.pts, dropped, _params(frame), data)


class H264:
    """The parameters and one H.264 access unit per frame (format "h264").

    Annex-B byte stream, constrained baseline profile, x264's zero-latency tuning: every frame
    comes out as it goes in (no B-frames, no look-ahead), the first with SPS/PPS and a key
    frame, then one every H264_KEYFRAME_S. A browser decodes it with WebCodecs' VideoDecoder
    (codec "avc1.42E01E"), anything else with an H.264 decoder fed the units in order.
    """

    def __init__(self, size: int, fps: int = FPS) -> None:
        self.codec = av.CodecContext.create("libx264", "w")
        self.codec.width = self.codec.height = size
        self.codec.pix_fmt = "yuv420p"
        self.codec.time_base = Fraction(1, fps)
        self.codec.framerate = Fraction(fps, 1)
        self.codec.gop_size = H264_KEYFRAME_S * fps
        self.codec.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "profile": "baseline",
            "crf": str(H264_CRF),
            "repeat-headers": "1",  # SPS/PPS before every key frame: each one starts a decodable run
        }
        self.codec.thread_count = 1  # slice or frame threads would add latency or reorder nothing here
        self.reformatter = VideoReformatter()

    def __call__(self, frame: StreamFrame, dropped: int) -> bytes:
        data = b""
        if frame.image is not None:
            picture = yuv420_frame(frame.image, self.reformatter)
            picture.pts = frame.index
            data = b"".join(bytes(packet) for packet in self.codec.encode(picture))
        return pack_frame(frame.index, frame.pts, dropped, _params(frame), data)


def frame_encoder(fmt: str, size: int, fps: int = FPS) -> FrameEncoder:
    """The encoder for a stream's ``format``: "jpeg", "h264" or "params"."""
    if fmt == "h264":
        return H264(size, fps)
    return jpeg if fmt == "jpeg" else params_only
