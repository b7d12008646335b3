"""Generate the audio test fixtures and the built-in sample clip.

Run once, from anywhere, and commit the output; tests never need the TTS tools:

    python scripts/make_fixtures.py

Needs flite (voices kal16, slt, rms) and espeak-ng on PATH, and PyAV for the encoded formats.
Deterministic and idempotent: the TTS engines are deterministic and the PyAV encoders run with
FFmpeg's bitexact flags, so a second run rewrites byte-identical files.

Writes into tests/fixtures/:
  bilabial.wav/.txt   flite kal16 (16 kHz mono), a sentence full of P/B/M
  espeak.wav/.txt     espeak-ng en-us at its native 22050 Hz (exercises resampling)
  pauses.wav/.txt     1.000 s digital silence + flite slt speech + 1.000 s digital silence;
                      the speech part is exactly len(pauses) - 2 * 16000 samples
  formats/clip.*      the first 1.02 s of the speech in pauses.wav ("Hello there, my", cut in the
                      pause before "friend"; the whole 1.48 s would push the stereo wav past the
                      size budget) as flac, ogg (opus), mp3, m4a (aac) and a stereo 44.1 kHz
                      int16 wav whose right channel is the left at half amplitude (so the
                      channel average is 0.75 x the clip)
and avatar/assets/sample.wav/.txt, the demo clip (flite rms, 16 kHz mono, 5.7 s).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
ASSETS = ROOT / "avatar" / "assets"

SAMPLE_RATE = 16000
PAUSE_S = 1.0  # digital silence on each side of the speech in pauses.wav
CLIP_S = 1.02  # length of formats/clip.*, ends in the quiet gap before "friend"

BILABIAL_TEXT = "Bob bought a map, maybe pop."
ESPEAK_TEXT = "The five brave whales moved through the blue water."
PAUSES_TEXT = "Hello there, my friend."
SAMPLE_TEXT = "Bob and Mom moved the blue boat past five brave whales, and waved from the bridge."
# In slt's rendition pocketsphinx (which the lip sync relies on) hears "Bob and Mom moved the
# blue boat" as "then on there for the bed"; rms's it transcribes word for word.
SAMPLE_VOICE = "rms"

# (file name, PyAV container format, codec, bit rate); bit rates keep the clips ~10 KB each.
ENCODED = [
    ("clip.flac", "flac", "flac", None),
    ("clip.ogg", "ogg", "libopus", 32_000),
    ("clip.mp3", "mp3", "libmp3lame", 48_000),
    ("clip.m4a", "ipod", "aac", 48_000),
]
STEREO_RATE = 44100


def tts(cmd: list[str]) -> tuple[np.ndarray, int]:
    """Run a TTS command that writes ``{out}`` and return its int16 samples and rate."""
    if shutil.which(cmd[0]) is None:
        sys.exit(f"make_fixtures: {cmd[0]} not found on PATH (apt-get install {cmd[0]})")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tts.wav"
        subprocess.run([c.format(out=out) for c in cmd], check=True, capture_output=True)
        x, sr = sf.read(out, dtype="int16")
    if x.ndim != 1:
        sys.exit(f"make_fixtures: {cmd[0]} wrote {x.shape[1]} channels, expected 1")
    return x, sr


def flite(text: str, voice: str) -> tuple[np.ndarray, int]:
    return tts(["flite", "-voice", voice, "-t", text, "-o", "{out}"])


def espeak(text: str, voice: str = "en-us") -> tuple[np.ndarray, int]:
    return tts(["espeak-ng", "-v", voice, "-w", "{out}", text])


def trim(x: np.ndarray, sr: int, threshold_dbfs: float = -50.0, margin_ms: float = 10.0) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping ``margin_ms`` around the speech."""
    loud = np.flatnonzero(np.abs(x.astype(np.float32) / 32768) > 10 ** (threshold_dbfs / 20))
    margin = round(sr * margin_ms / 1000)
    return x[max(loud[0] - margin, 0) : loud[-1] + 1 + margin]


def write_wav(path: Path, x: np.ndarray, sr: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, sr, subtype="PCM_16")


def write_text(path: Path, text: str) -> None:
    path.write_text(text + "\n")


def encode(path: Path, x: np.ndarray, sr: int, fmt: str, codec: str, bit_rate: int | None) -> None:
    """Encode int16 mono ``x`` with PyAV; bitexact so reruns give identical bytes."""
    bitexact = {"fflags": "+bitexact"}
    with av.open(str(path), "w", format=fmt, options=bitexact) as out:
        stream = out.add_stream(codec, rate=sr, layout="mono", options={"flags": "+bitexact"})
        if bit_rate:
            stream.bit_rate = bit_rate
        stream.codec_context.open()  # fixes frame_size and the sample format the encoder takes
        frame = av.AudioFrame.from_ndarray(x[None, :], format="s16", layout="mono")
        frame.sample_rate, frame.pts = sr, 0
        # The encoder wants its own sample format and fixed-size frames; let the resampler cut them.
        resampler = av.AudioResampler(
            format=stream.codec_context.format,
            layout="mono",
            rate=sr,
            frame_size=stream.codec_context.frame_size or None,
        )
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            if chunk is not None:
                out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample int16 mono with PyAV (the same libswresample the loader uses); returns float32."""
    frame = av.AudioFrame.from_ndarray(x[None, :], format="s16", layout="mono")
    frame.sample_rate, frame.pts = sr_in, 0
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sr_out)
    frames = [f for f in [*resampler.resample(frame), *resampler.resample(None)] if f is not None]
    return np.concatenate([f.to_ndarray()[0] for f in frames])


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    sizes: dict[Path, int] = {}

    x, sr = flite(BILABIAL_TEXT, "kal16")  # kal16 is the 16 kHz build of kal (plain kal is 8 kHz)
    assert sr == SAMPLE_RATE, sr
    write_wav(FIXTURES / "bilabial.wav", trim(x, sr, margin_ms=50), sr)
    write_text(FIXTURES / "bilabial.txt", BILABIAL_TEXT)

    x, sr = espeak(ESPEAK_TEXT)
    assert sr == 22050, sr
    write_wav(FIXTURES / "espeak.wav", trim(x, sr, margin_ms=50), sr)
    write_text(FIXTURES / "espeak.txt", ESPEAK_TEXT)

    x, sr = flite(PAUSES_TEXT, "slt")
    assert sr == SAMPLE_RATE, sr
    speech = trim(x, sr)
    pad = np.zeros(round(PAUSE_S * sr), dtype=np.int16)
    write_wav(FIXTURES / "pauses.wav", np.concatenate([pad, speech, pad]), sr)
    write_text(FIXTURES / "pauses.txt", PAUSES_TEXT)

    formats = FIXTURES / "formats"
    formats.mkdir(exist_ok=True)
    clip = speech[: round(CLIP_S * sr)]
    for name, fmt, codec, bit_rate in ENCODED:
        encode(formats / name, clip, sr, fmt, codec, bit_rate)
    hi = resample(clip, sr, STEREO_RATE)
    stereo = np.stack([hi, 0.5 * hi], axis=1)
    stereo = np.clip(np.round(stereo * 32768), -32768, 32767).astype(np.int16)
    write_wav(formats / "clip_stereo_44k.wav", stereo, STEREO_RATE)

    x, sr = flite(SAMPLE_TEXT, SAMPLE_VOICE)
    assert sr == SAMPLE_RATE, sr
    write_wav(ASSETS / "sample.wav", x, sr)
    write_text(ASSETS / "sample.txt", SAMPLE_TEXT)

    for path in [*sorted(FIXTURES.rglob("*")), ASSETS / "sample.wav", ASSETS / "sample.txt"]:
        if path.is_file():
            sizes[path] = path.stat().st_size
            print(f"{sizes[path]:>8,d}  {path.relative_to(ROOT)}")
    total = sum(size for path, size in sizes.items() if FIXTURES in path.parents)
    print(f"{total:>8,d}  tests/fixtures total")


if __name__ == "__main__":
    main()
