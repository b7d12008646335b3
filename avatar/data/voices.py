"""The synthetic speakers: which voices exist, which are held out, and how to make them speak.

Engines (all Debian packages, all offline):
  espeak-ng  libespeak-ng through ctypes (espeak.py), every language, 12 voice variants each;
             rate in words/min (120-210), pitch 0-99 (25-75); phone timings come with the audio.
  flite      English: kal (8 kHz, resampled), kal16, awb, rms, slt; rate is a speed factor
             (1/duration_stretch), pitch the target f0 mean in Hz (rms ignores it: None).
  festival   English: kal_diphone, cmu_us_slt_arctic_hts (32 kHz, resampled); rate is a speed
             factor (Duration_Stretch for kal, hts_engine -r for slt); pitch in Hz for kal only.

Validation voices (split 'val'), never in training: flite slt, festival cmu_us_slt_arctic_hts,
and espeak-ng variant f3 in every language. Everything else is 'train'.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE
from ..errors import AvatarError
from . import espeak

LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl")
ESPEAK_VOICES: dict[str, tuple[str, ...]] = {
    "en": ("en-us", "en"),  # American, British
    "de": ("de",),
    "fr": ("fr", "fr-be"),
    "es": ("es", "es-419"),  # Spain, Latin America
    "it": ("it",),
    "pt": ("pt", "pt-br"),
    "nl": ("nl",),
}
ESPEAK_VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4")  # '' = default
ESPEAK_RATE = (120, 210)  # words per minute (espeak's default is 175)
ESPEAK_PITCH = (25, 75)  # 0-99, 50 = the voice's own
FLITE_VOICES: dict[str, float | None] = {
    "kal": 100.0,
    "kal16": 100.0,
    "awb": 110.0,
    "rms": None,
    "slt": 170.0,
}
FESTIVAL_VOICES: dict[str, float | None] = {"kal_diphone": 105.0, "cmu_us_slt_arctic_hts": None}
SPEED = (0.85, 1.2)  # flite and festival speaking-rate factor
PITCH_SEMITONES = 3.0  # flite and festival f0 target: the voice's mean +- this many semitones
ENGLISH_ENGINES = {"espeak-ng": 0.4, "flite": 0.4, "festival": 0.2}  # share of English utterances
VALIDATION = frozenset({"flite:slt", "festival:cmu_us_slt_arctic_hts"})
VALIDATION_ESPEAK_VARIANT = "f3"
_TIMEOUT_S = 120.0
# Debian packages, for the error that names what to install.
PACKAGES = {
    "flite": "flite",
    "festival": "festival",
    "kal_diphone": "festvox-kallpc16k",
    "cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
}


@dataclass(frozen=True)
class Voice:
    """One speaker: an engine, its voice name ('de+m3', 'kal16') and the language it speaks."""

    engine: str
    name: str
    language: str

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.name}"

    @property
    def split(self) -> str:
        """'val' for the held-out voices, else 'train'."""
        if self.engine == "espeak-ng":
            return "val" if self.name.endswith("+" + VALIDATION_ESPEAK_VARIANT) else "train"
        return "val" if self.id in VALIDATION else "train"


@dataclass(frozen=True)
class Prosody:
    """How fast and how high: engine units (see the module docstring); pitch None = engine default."""

    rate: float
    pitch: float | None


@dataclass(frozen=True)
class Speech:
    """Synthesised audio at 16 kHz, and espeak's phonemes as (IPA, start s, end s) when known."""

    audio: np.ndarray
    phonemes: tuple[tuple[str, float, float], ...] | None


def voices(language: str) -> list[Voice]:
    """Every voice that speaks ``language``, in a fixed order."""
    out = [
        Voice("espeak-ng", base + (f"+{v}" if v else ""), language)
        for base in ESPEAK_VOICES[language]
        for v in ESPEAK_VARIANTS
    ]
    if language == "en":
        out += [Voice("flite", name, "en") for name in FLITE_VOICES]
        out += [Voice("festival", name, "en") for name in FESTIVAL_VOICES]
    return out


def pick_voice(language: str, rng: np.random.Generator) -> tuple[Voice, Prosody]:
    """A voice for ``language`` and its rate and pitch, drawn from ``rng``."""
    engine = "espeak-ng"
    if language == "en":
        names = list(ENGLISH_ENGINES)
        engine = names[int(rng.choice(len(names), p=list(ENGLISH_ENGINES.values())))]
    candidates = [v for v in voices(language) if v.engine == engine]
    voice = candidates[int(rng.integers(len(candidates)))]
    if engine == "espeak-ng":
        rate = int(rng.integers(ESPEAK_RATE[0], ESPEAK_RATE[1] + 1))
        return voice, Prosody(rate, int(rng.integers(ESPEAK_PITCH[0], ESPEAK_PITCH[1] + 1)))
    speed = round(float(rng.uniform(*SPEED)), 3)
    base = (FLITE_VOICES if engine == "flite" else FESTIVAL_VOICES)[voice.name]
    shift = float(rng.uniform(-PITCH_SEMITONES, PITCH_SEMITONES))
    return voice, Prosody(speed, None if base is None else round(base * 2 ** (shift / 12), 1))


def speak(voice: Voice, text: str, prosody: Prosody) -> Speech:
    """Synthesise ``text``; 16 kHz float32 audio (and phoneme timings from espeak-ng)."""
    if voice.engine == "espeak-ng":
        req = espeak.EspeakRequest(text, voice.name, int(prosody.rate), int(prosody.pitch or 50))
        return from_espeak(espeak.synthesize([req])[0])
    if voice.engine == "flite":
        cmd = ["flite", "-voice", voice.name, "--setf", f"duration_stretch={1.0 / prosody.rate:.4f}"]
        if prosody.pitch is not None:
            cmd += ["--setf", f"int_f0_target_mean={prosody.pitch}"]
        return Speech(_run_tts([*cmd, "-f", "{text}", "-o", "{wav}"], text), None)
    if voice.engine == "festival":
        cmd = ["text2wave", "-eval", f"(voice_{voice.name})"]
        if voice.name == "cmu_us_slt_arctic_hts":  # HTS ignores Duration_Stretch; its engine takes -r
            cmd += ["-eval", f'(set! hts_engine_params (append hts_engine_params \'(("-r" {prosody.rate}))))']
        else:
            cmd += ["-eval", f"(Parameter.set 'Duration_Stretch {1.0 / prosody.rate:.4f})"]
        if prosody.pitch is not None:
            # kal_diphone's own intonation parameters with only the target mean changed
            cmd += [
                "-eval",
                f"(set! int_lr_params '((target_f0_mean {prosody.pitch}) (target_f0_std 14) "
                "(model_f0_mean 170) (model_f0_std 34)))",
            ]
        return Speech(_run_tts([*cmd, "{text}", "-o", "{wav}"], text), None)
    raise ValueError(f"unknown engine {voice.engine!r}")


def from_espeak(synthesis: espeak.Synthesis) -> Speech:
    """Resample espeak's output to 16 kHz and turn its phoneme events into timed spans."""
    sr = synthesis.sample_rate
    audio = resample(synthesis.audio.astype(np.float32) / 32768.0, sr)
    events = synthesis.events
    ends = [s for _, s in events[1:]] + [len(synthesis.audio)] if events else []  # each lasts to the next
    spans = tuple((name, start / sr, end / sr) for (name, start), end in zip(events, ends, strict=True))
    return Speech(audio, spans)


def resample(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """float32 mono at ``sample_rate`` -> 16 kHz (polyphase, exact ratio)."""
    if sample_rate == SAMPLE_RATE:
        return x.astype(np.float32)
    from scipy.signal import resample_poly

    ratio = Fraction(SAMPLE_RATE, sample_rate)
    y = resample_poly(x, ratio.numerator, ratio.denominator)
    return y[: round(len(x) * ratio)].astype(np.float32)


def _run_tts(cmd: list[str], text: str) -> np.ndarray:
    """Run a command that reads {text} (a file) and writes {wav}; 16 kHz float32 mono."""
    with tempfile.TemporaryDirectory(prefix="avatar-tts-") as tmp:
        text_file, wav = Path(tmp) / "text.txt", Path(tmp) / "out.wav"
        text_file.write_text(text + "\n", encoding="utf-8")
        args = [c.format(text=text_file, wav=wav) if c in ("{text}", "{wav}") else c for c in cmd]
        try:
            done = subprocess.run(args, capture_output=True, timeout=_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise AvatarError(f"{cmd[0]} did not finish within {_TIMEOUT_S:.0f} s") from None
        if done.returncode != 0 or not wav.is_file():
            reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise AvatarError(f"{cmd[0]} failed: {reason[0]}")
        import soundfile as sf

        x, sr = sf.read(wav, dtype="float32", always_2d=True)
    return resample(x.mean(axis=1), sr)


def check_tools(languages: list[str]) -> dict[str, str]:
    """Raise AvatarError naming the Debian package of the first missing engine or voice.

    Returns the engines' versions (they change the audio, so they belong in the config hash).
    """
    versions = {"espeak-ng": espeak.version()}
    if "en" not in languages:
        return versions
    for tool, package in (("flite", "flite"), ("text2wave", "festival"), ("festival", "festival")):
        if shutil.which(tool) is None:
            raise AvatarError(f"{tool} is not installed (apt-get install {package})")
    versions["flite"] = _first_line(("flite", "--version"), "version:")
    versions["festival"] = _first_line(("festival", "--version"), "festival")
    listed = _first_line(("festival", "--batch", "(print (voice.list))"), "(")
    for name in FESTIVAL_VOICES:
        if name not in listed:
            raise AvatarError(f"festival voice {name} is not installed (apt-get install {PACKAGES[name]})")
    return versions


@cache
def _first_line(cmd: tuple[str, ...], prefix: str) -> str:
    done = subprocess.run(list(cmd), capture_output=True, timeout=_TIMEOUT_S, check=False)
    lines = (done.stdout + done.stderr).decode(errors="replace").splitlines()
    return next((line.strip() for line in lines if line.strip().startswith(prefix)), "")
