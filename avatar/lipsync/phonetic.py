"""The phonetic lip-sync path: audio (+ optional transcript) -> timed phones -> 64-d expression."""

from __future__ import annotations

import logging

import numpy as np

from ..audio import SAMPLE_RATE, FrameClock, speech_regions
from ..config import Config
from ..errors import AlignmentError
from . import aligner
from .animator import animate_phones
from .interface import LipSync, ProgressFn
from .phones import Phone

log = logging.getLogger(__name__)


class PhoneticLipSync:
    """Phones from pocketsphinx, animated with coarticulation.

    With a transcript, phones come from forced alignment; if the transcript does not fit the
    audio, it warns and falls back to phone recognition instead of failing.
    """

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.clock = FrameClock(fps=cfg.model.fps, sample_rate=SAMPLE_RATE)

    def __call__(
        self, audio: np.ndarray, text: str | None = None, progress: ProgressFn | None = None
    ) -> LipSync:
        """Animate 16 kHz mono ``audio``; ``text`` is its transcript, if known."""
        duration = len(audio) / SAMPLE_RATE
        phones, method = None, "forced-alignment"
        if text is not None and text.strip():
            done = 0.0

            def step(seconds: float) -> None:
                nonlocal done
                done += seconds
                if progress is not None:
                    progress(done / 2.0, duration)  # alignment decodes the clip twice

            step(0.0)
            try:
                phones = aligner.align(audio, text, progress=step)
            except AlignmentError as exc:
                log.warning("%s; recognising phones from the audio instead", exc)
        if phones is None:
            method = "phone-recognition"
            phones = self._recognize(audio, progress)
        num_frames = self.clock.num_frames(len(audio))
        expression = animate_phones(phones, num_frames, self.cfg.model.fps, self.cfg.inference.phonetic)
        return LipSync(expression, phones, method)

    def _recognize(self, audio: np.ndarray, progress: ProgressFn | None) -> list[Phone]:
        regions = speech_regions(audio, self.cfg.inference.vad)
        segments = aligner.merge_regions(regions, self.cfg.inference.phonetic.max_segment_s)
        total = sum(end - start for start, end in segments) or 1.0
        done = 0.0

        def step(seconds: float) -> None:
            nonlocal done
            done += seconds
            if progress is not None:
                progress(done, total)

        step(0.0)
        return aligner.recognize(audio, segments, self.cfg.inference.phonetic.max_segment_s, progress=step)
