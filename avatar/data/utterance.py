"""One training utterance, start to finish: text, voice, speech, labels, augmentation, files.

Everything random comes from one generator seeded with (seed, index), so an utterance is the
same whichever process makes it and whatever was made before it. Labels come from the clean
speech (pocketsphinx forced alignment for English, espeak-ng's own phoneme events otherwise);
augmentation only touches the audio, and its speed change and spliced pauses move the labels
with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE, clean_audio
from ..config import PhoneticConfig
from ..errors import AlignmentError, AvatarError
from ..lipsync.phones import SILENCE, Phone
from . import files, nonspeech
from .augment import augment
from .babble import babble
from .labels import PHONE_INDEX, fit_to_speech, phone_track, phones_from_espeak, targets
from .text import utterance_text
from .voices import pick_voice, speak

ENGLISH_SHARE = 0.5  # of utterances, when English is among the languages; the rest share the others
NONSPEECH_SHARE = 0.08  # utterances with no speech at all (nonspeech.clip): the mouth stays shut
NONSPEECH_S = (2.0, 8.0)
NONSPEECH_VAL_SHARE = 0.15  # of those, held out for validation like the held-out voices
NONSPEECH = "nonspeech"  # the label method, language and voice of such an utterance
ALIGN = "pocketsphinx-align"  # label methods, as the manifest names them
ESPEAK_EVENTS = "espeak-events"


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to make utterance ``index`` (picklable)."""

    index: int
    seed: int
    languages: tuple[str, ...]
    phonetic: PhoneticConfig
    out: Path
    config_hash: str


def utterance_id(index: int) -> str:
    return f"u{index:07d}"


def pick_language(languages: tuple[str, ...], rng: np.random.Generator) -> str:
    """English gets ENGLISH_SHARE when present (its labels are the best); the rest share equally."""
    if "en" in languages and len(languages) > 1:
        others = [lang for lang in languages if lang != "en"]
        if rng.random() < ENGLISH_SHARE:
            return "en"
        return others[int(rng.integers(len(others)))]
    return languages[int(rng.integers(len(languages)))]


def make(job: Job) -> dict:
    """Make utterance ``job.index``, write its audio and labels, return its manifest record.

    A record with a 'dropped' key (the reason) means no files were written.
    """
    rng = np.random.default_rng([job.seed, job.index])
    if rng.random() < NONSPEECH_SHARE:
        return _nonspeech(job, rng)
    language = pick_language(job.languages, rng)
    voice, prosody = pick_voice(language, rng)
    text = utterance_text(language, rng)
    uid = utterance_id(job.index)
    record = {
        "id": uid,
        "split": voice.split,
        "language": language,
        "voice": voice.id,
        "rate": prosody.rate,
        "pitch": prosody.pitch,
        "text": text,
        "config": job.config_hash,
    }
    try:
        speech = speak(voice, text, prosody)
    except AvatarError as exc:
        return {**record, "dropped": "tts", "error": str(exc)}
    clean = clean_audio(speech.audio)
    duration = len(clean) / SAMPLE_RATE
    try:
        if language == "en":
            from ..lipsync.aligner import align  # pocketsphinx loads only where English is made

            method, phones = ALIGN, align(clean, text)
        else:
            method, phones = ESPEAK_EVENTS, phones_from_espeak(speech.phonemes or (), language, duration)
        phones = fit_to_speech(phones, clean)
    except AlignmentError as exc:
        return {**record, "dropped": "alignment", "error": str(exc)}
    except KeyError as exc:
        return {**record, "dropped": "unmapped-phoneme", "error": str(exc.args[0])}

    aug = augment(clean, phones, rng, babble)
    n = len(aug.audio)
    files.save_flac(job.out / "audio" / f"{uid}.flac", aug.audio, SAMPLE_RATE)
    files.save_npz(job.out / "labels" / f"{uid}.npz", _label_arrays(aug.phones, n, job.phonetic))
    speech_s = sum(p.duration for p in aug.phones if p.name != SILENCE)
    return {
        **record,
        "duration": round(n / SAMPLE_RATE, 4),
        "samples": n,
        "speech_s": round(speech_s, 3),
        "label_method": method,
        "augmentation": aug.params,
        "audio": f"audio/{uid}.flac",
        "labels": f"labels/{uid}.npz",
    }


def _nonspeech(job: Job, rng: np.random.Generator) -> dict:
    """Utterance ``job.index`` as a clip without speech, labelled silence throughout."""
    uid = utterance_id(job.index)
    n = int(rng.uniform(*NONSPEECH_S) * SAMPLE_RATE)
    audio, segments = nonspeech.clip(n, rng)
    phones = [Phone(SILENCE, 0.0, n / SAMPLE_RATE)]
    files.save_flac(job.out / "audio" / f"{uid}.flac", audio, SAMPLE_RATE)
    files.save_npz(job.out / "labels" / f"{uid}.npz", _label_arrays(phones, n, job.phonetic))
    return {
        "id": uid,
        "split": "val" if rng.random() < NONSPEECH_VAL_SHARE else "train",
        "language": NONSPEECH,
        "voice": NONSPEECH,
        "rate": None,
        "pitch": None,
        "text": "",
        "config": job.config_hash,
        "duration": round(n / SAMPLE_RATE, 4),
        "samples": n,
        "speech_s": 0.0,
        "label_method": NONSPEECH,
        "augmentation": {"segments": segments},
        "audio": f"audio/{uid}.flac",
        "labels": f"labels/{uid}.npz",
    }


def _label_arrays(phones: list[Phone], num_samples: int, cfg: PhoneticConfig) -> dict[str, np.ndarray]:
    starts = np.array([round(p.start * SAMPLE_RATE) for p in phones], dtype=np.int32)
    ends = np.array([round(p.end * SAMPLE_RATE) for p in phones], dtype=np.int32)
    return {
        "phones50": phone_track(phones, num_samples),
        "targets30": targets(phones, num_samples, cfg),
        "seg_phone": np.array([PHONE_INDEX[p.name] for p in phones], dtype=np.int16),
        "seg_start": starts,
        "seg_end": ends,
    }
