"""Real talking faces as lip-sync training data: clips labelled by ``avatar data capture``.

Each clip's sound is cleaned as the pipeline cleans what it hears, moved by its measured
audio/video offset (or by one offset pooled over a folder of one recording set-up), clips the
labeller flagged are left out (for a pooled folder: those without a face), and the captured
targets are rescaled per person: people open, spread and round their lips by different
amounts, and the avatar's own amount is a control (``--expression-scale``), not something to
learn from whoever talked most. Only the channels capture measures well are supervised, each
frame weighted by capture's confidence (0 where no face was found).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import clean_audio
from ..config import RealSourceConfig
from ..data import capture as labels
from ..data import files
from ..errors import AvatarError
from ..eval import sync
from ..expression.channels import CHANNEL_INDEX, EXPRESSION_DIM

log = logging.getLogger(__name__)

# What capture reads reliably off a real mouth (issue 17): jaw, lip aperture and width,
# rounding and closures. The rest (tongue, teeth, cheeks, the other articulators) capture
# leaves at rest, which is not a measurement, so it teaches nothing here.
SCALED = {  # person-normalised families: each family's amount is rescaled as one
    "opening": (
        "jawOpen",
        "mouthLowerDownLeft",
        "mouthLowerDownRight",
        "mouthUpperUpLeft",
        "mouthUpperUpRight",
    ),
    "width": ("mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight"),
    "rounding": ("mouthFunnel", "mouthPucker"),
}
CONTACT = ("mouthClose", "mouthPressLeft", "mouthPressRight", "lipSeal")  # closures: not rescaled
FAMILY_COLUMNS = tuple([CHANNEL_INDEX[c] for c in family] for family in SCALED.values())
SUPERVISED = tuple(CHANNEL_INDEX[n] for n in (*(c for f in SCALED.values() for c in f), *CONTACT))
AMOUNT_PERCENTILE = 90  # a person's amount of a family: this percentile of its mean, face frames
SCALE_RANGE = (0.5, 2.0)  # a person is rescaled by at most this much either way
MIN_AMOUNT = 0.02  # a family this person barely moves is left as it is (nothing to measure)
MIN_CONFIDENCE = 0.3  # frames under this count in no person's amount
LABEL_KEYS = ("audio", "expression", "face_found", "confidence", "offset_frames")  # what training reads


@dataclass
class RealClip:
    """One labelled clip: sound (N,) at 16 kHz in sync with targets and weights (T30, 64)."""

    name: str
    source: str  # the labelled folder it came from
    speaker: str
    split: str  # "train" or "dev"
    offset_frames: int  # how late its sound was (undone in ``audio``)
    audio: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    phones: np.ndarray | None = None  # (T50,) indices into data.labels.PHONE_LABELS, if labelled


def mouth_shape_weights() -> np.ndarray:
    """(64, 2) how much a unit of each channel opens the inner lips and widens the mouth on the
    built-in avatar, in eye distances (the renderer's own field at landmarks 13/14 and 61/291).

    The aperture people see is a small difference of large moves (jawOpen opens the lips by 0.30
    eye distances, mouthClose shuts them by 0.29): channels learnt one by one can each be close
    and their sum still wrong, so the loss also compares these two sums (``shape_loss_weight``).
    """
    from ..portrait import default_avatar
    from ..portrait.facemesh import LOWER_LIP_INNER, MOUTH_CORNERS, UPPER_LIP_INNER, eye_distance
    from ..render.deformers import expression_basis

    lm = np.asarray(default_avatar().landmarks, np.float64)
    basis = expression_basis(lm) / eye_distance(lm)  # (64, 478, 2)
    gap = basis[:, LOWER_LIP_INNER, 1] - basis[:, UPPER_LIP_INNER, 1]
    width = basis[:, MOUTH_CORNERS[1], 0] - basis[:, MOUTH_CORNERS[0], 0]
    return np.stack([gap, width], axis=1).astype(np.float32)


def speaker_of(name: str, source: RealSourceConfig) -> str:
    """Who speaks in clip ``name``: the folder's one speaker, the group it is in, or the clip's own."""
    if source.speaker:
        return source.speaker
    for person, clips in source.groups.items():
        if name in clips:
            return person
    return name


def load_source(source: RealSourceConfig) -> list[RealClip]:
    """The usable clips of one labelled folder, offsets undone, targets not yet rescaled."""
    folder = Path(source.dir)
    rows = files.read_jsonl(folder / labels.MANIFEST)
    if not rows:
        raise AvatarError(
            f"no labelled clips in {folder}: run 'avatar data capture VIDEOS --out {folder}' first"
        )
    names = {r["name"] for r in rows}
    unknown = sorted(set(source.dev) - names)
    if unknown:
        raise AvatarError(f"{folder}: dev clips not among its labels: {', '.join(unknown)}")
    # A pooled offset replaces each clip's own estimate, so the flags about that estimate do not
    # apply: on GRID s1 a third of the 3 s clips peak alone 6 to 15 frames off (a word's period),
    # while the pooled curve peaks at 0.
    ignored = {"offset", "weak_sync"} if source.pooled_offset else set()
    usable = [r for r in rows if not set(r.get("flags", [])) - ignored]
    arrays = []
    for row in usable:
        with np.load(folder / row["npz"], allow_pickle=False) as data:
            arrays.append({k: data[k] for k in LABEL_KEYS})
    pooled = None
    if source.pooled_offset:
        found = sync.pooled_offset((a["expression"], a["face_found"], a["audio"]) for a in arrays)
        pooled = found[0] if found else 0
    dev_people = {speaker_of(n, source) for n in source.dev}
    clips = []
    for row, data in zip(usable, arrays, strict=True):
        person = speaker_of(row["name"], source)
        in_dev = row["name"] in source.dev
        if (person in dev_people) != in_dev and not source.speaker:
            raise AvatarError(f"{folder}: {person} is in both the dev split and training ({row['name']})")
        offset = pooled if pooled is not None else int(data["offset_frames"])
        # cleaned as the pipeline cleans what it hears (avatar.pipeline.prepare_audio)
        audio = clean_audio(sync.aligned_audio(data["audio"].astype(np.float32), offset))
        expression = data["expression"].astype(np.float32)
        weight = data["confidence"].astype(np.float32) * data["face_found"].astype(np.float32)
        weights = np.zeros((len(expression), EXPRESSION_DIM), np.float32)
        weights[:, list(SUPERVISED)] = weight[:, None]
        split = "dev" if in_dev else "train"
        clips.append(RealClip(row["name"], source.dir, person, split, offset, audio, expression, weights))
    if source.phones:
        label_phones([c for c in clips if c.split == "train"], usable, source)
    return clips


def label_phones(clips: list[RealClip], rows: list[dict], source: RealSourceConfig) -> None:
    """Give ``clips`` pocketsphinx's phones of their (offset-corrected) sound, in place: aligned to
    their transcript in ``source.transcripts`` where there is one, else recognised from the sound."""
    from tqdm import tqdm

    from ..config import load_config
    from ..data.labels import phone_track
    from ..eval.speech import find_transcript, read_transcript_table
    from ..lipsync import PhoneticLipSync

    table = read_transcript_table(source.transcripts) if source.transcripts else None
    videos = {r["name"]: Path(r.get("source", r["name"])) for r in rows}
    phonetic = PhoneticLipSync(load_config(env={}))
    aligned = 0
    for clip in tqdm(clips, desc=f"phones of {Path(source.dir).name}", unit="clip", leave=False):
        text = find_transcript(videos[clip.name], table) if table else None
        result = phonetic(clip.audio, text)
        aligned += result.method == "forced-alignment"
        clip.phones = phone_track(result.phones, len(clip.audio)).astype(np.int64)
    if table and aligned < len(clips):
        log.info(
            "%s: %d of %d clips' phones recognised (no transcript fitted)",
            source.dir,
            len(clips) - aligned,
            len(clips),
        )


def family_amounts(clips: Iterable[RealClip]) -> dict[str, np.ndarray]:
    """Per person, (families,) amounts: the AMOUNT_PERCENTILE of each family's mean channel."""
    by_person: dict[str, list[RealClip]] = {}
    for clip in clips:
        by_person.setdefault(clip.speaker, []).append(clip)
    out = {}
    for person, own in by_person.items():
        amounts = []
        for cols in FAMILY_COLUMNS:
            values = np.concatenate(
                [c.targets[c.weights[:, cols[0]] >= MIN_CONFIDENCE][:, cols].mean(axis=1) for c in own]
            )
            amounts.append(np.percentile(values, AMOUNT_PERCENTILE) if len(values) else np.nan)
        out[person] = np.asarray(amounts, np.float64)
    return out


def normalise(clips: list[RealClip]) -> dict[str, list[float]]:
    """Rescale each person's families to the median person of the training split, in place.

    Returns the scale applied per person (families in SCALED's order), for the checkpoint's record.
    """
    amounts = family_amounts(clips)
    train_people = {c.speaker for c in clips if c.split == "train"} or set(amounts)
    reference = np.nanmedian(np.stack([amounts[p] for p in sorted(train_people)]), axis=0)
    scales = {}
    for person, amount in amounts.items():
        scale = np.where(amount >= MIN_AMOUNT, reference / np.maximum(amount, MIN_AMOUNT), 1.0)
        scales[person] = np.clip(np.nan_to_num(scale, nan=1.0), *SCALE_RANGE)
    for clip in clips:
        for k, cols in enumerate(FAMILY_COLUMNS):
            clip.targets[:, cols] = np.clip(clip.targets[:, cols] * scales[clip.speaker][k], 0.0, 1.0)
    return {p: [round(float(v), 3) for v in s] for p, s in sorted(scales.items())}


def load_real(sources: list[RealSourceConfig]) -> tuple[list[RealClip], dict[str, list[float]]]:
    """Every usable clip of every source, person-normalised; and the scales applied."""
    clips = [c for s in sources for c in load_source(s)]
    if not clips:
        raise AvatarError("the real sources hold no usable clips (all flagged)")
    return clips, normalise(clips)
