"""Phones: the timed ARPAbet units the phonetic lip-sync animates."""

from __future__ import annotations

from dataclasses import dataclass

# The 39 phones of the CMU dictionary (stress marks dropped) plus silence.
ARPABET: tuple[str, ...] = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH",
    "UH", "UW", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip
SILENCE = "SIL"
PHONE_SET: frozenset[str] = frozenset((*ARPABET, SILENCE))
PHONE_FRAME_S = 0.01  # pocketsphinx works in 10 ms frames
# Frame i's 25.625 ms analysis window (pocketsphinx's -wlen) starts at i * 10 ms, so it hears the
# audio around i * 10 + 12.8 ms; a phone that begins at frame i began between the centres of
# frames i-1 and i. Reading "frame i" as i * 10 ms put every boundary this much too early
# (on espeak-ng's own timings, matched phone starts came out a median 12 ms early).
FRAME_BOUNDARY_S = 0.025625 / 2 - PHONE_FRAME_S / 2  # 7.8 ms


def frame_time(offset: float, frame: int, end: float) -> float:
    """Seconds at which pocketsphinx's ``frame`` boundary lies, ``offset`` being where its audio
    starts; at most ``end`` (the audio's end). Frame 0 too moves by FRAME_BOUNDARY_S: a phone
    heard in the first window may have begun anywhere before its centre (on espeak-ng, first
    onsets land 2 ms early this way and 10 ms early read as the audio's start)."""
    return round(min(offset + frame * PHONE_FRAME_S + FRAME_BOUNDARY_S, end), 4)


@dataclass(frozen=True)
class Phone:
    """One phone with its time span in seconds (end exclusive)."""

    name: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def center(self) -> float:
        return 0.5 * (self.start + self.end)


def normalize_label(label: str) -> str:
    """Map a decoder label to the phone set: stress digits dropped, noises (+NSN+, +SPN+) -> SIL."""
    name = label.strip().upper().rstrip("012")
    return name if name in PHONE_SET else SILENCE


def fill_silence(phones: list[Phone], duration: float) -> list[Phone]:
    """Sort phones, merge adjacent silences and cover every gap up to ``duration`` with SIL."""
    out: list[Phone] = []
    t = 0.0
    for p in sorted(phones, key=lambda p: p.start):
        if p.start > t + 1e-6:
            out.append(Phone(SILENCE, t, p.start))
        start = max(p.start, t)
        if p.end > start:
            out.append(Phone(p.name, start, p.end))
            t = p.end
    if duration > t + 1e-6:
        out.append(Phone(SILENCE, t, duration))
    merged: list[Phone] = []
    for p in out:
        if merged and merged[-1].name == SILENCE and p.name == SILENCE:
            merged[-1] = Phone(SILENCE, merged[-1].start, p.end)
        else:
            merged.append(p)
    return merged
