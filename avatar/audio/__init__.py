"""Audio front end: decode, clean, find speech, and map samples to video frames.

Importing is cheap: PyAV, scipy and onnxruntime are loaded by the submodules, and the VAD model
only on the first call.
"""

from .clean import clean_audio
from .clock import FPS, SAMPLE_RATE, FrameClock
from .io import SUPPORTED_EXTENSIONS, audio_duration, load_audio
from .vad import speech_mask, speech_probabilities, speech_regions

__all__ = [
    "FPS",
    "SAMPLE_RATE",
    "SUPPORTED_EXTENSIONS",
    "FrameClock",
    "audio_duration",
    "clean_audio",
    "load_audio",
    "speech_mask",
    "speech_probabilities",
    "speech_regions",
]
