"""Phones -> visemes -> mouth poses in the 64-d expression space, with coarticulation weights.

Fifteen visemes (the set most lip-sync tools share): sil, PP, FF, TH, DD, kk, CH, SS, nn, RR,
aa, E, I, O, U. Each has a target pose and, per articulator group, a dominance: how strongly
it holds that group against its neighbours (Cohen & Massaro, 1993). Bilabials dominate the
lips, velars barely touch them, so a K takes its lip shape from the vowels around it.
"""

from __future__ import annotations

import numpy as np

from ..expression.channels import CHANNEL_INDEX, channel_vector

VISEMES: tuple[str, ...] = (
    "sil",
    "PP",
    "FF",
    "TH",
    "DD",
    "kk",
    "CH",
    "SS",
    "nn",
    "RR",
    "aa",
    "E",
    "I",
    "O",
    "U",
)
VISEME_INDEX: dict[str, int] = {v: i for i, v in enumerate(VISEMES)}

# phone -> (viseme, jawOpen). Diphthongs move between two visemes: a second entry for their tail.
PHONE_VISEME: dict[str, tuple[str, float]] = {
    "SIL": ("sil", 0.0),
    "P": ("PP", 0.05), "B": ("PP", 0.05), "M": ("PP", 0.05),
    "F": ("FF", 0.08), "V": ("FF", 0.08),
    "TH": ("TH", 0.14), "DH": ("TH", 0.12),
    "T": ("DD", 0.12), "D": ("DD", 0.12),
    "K": ("kk", 0.18), "G": ("kk", 0.18), "NG": ("kk", 0.16),
    "CH": ("CH", 0.1), "JH": ("CH", 0.1), "SH": ("CH", 0.1), "ZH": ("CH", 0.1),
    "S": ("SS", 0.06), "Z": ("SS", 0.06),
    "N": ("nn", 0.12), "L": ("nn", 0.18),
    "R": ("RR", 0.15), "ER": ("RR", 0.25),
    "AA": ("aa", 0.62), "AH": ("aa", 0.42), "AE": ("E", 0.52), "EH": ("E", 0.4),
    "IH": ("I", 0.24), "IY": ("I", 0.16), "Y": ("I", 0.14),
    "AO": ("O", 0.5), "UH": ("U", 0.26), "UW": ("U", 0.16), "W": ("U", 0.1),
    "AY": ("aa", 0.58), "AW": ("aa", 0.56), "OY": ("O", 0.45), "EY": ("E", 0.38), "OW": ("O", 0.4),
    "HH": ("aa", 0.3),  # takes the next phone's shape; see TRANSPARENT
}  # fmt: skip
DIPHTHONG_TAIL: dict[str, tuple[str, float]] = {
    "AY": ("I", 0.2), "AW": ("U", 0.18), "OY": ("I", 0.2), "EY": ("I", 0.2), "OW": ("U", 0.18),
}  # fmt: skip
TRANSPARENT = frozenset({"HH"})  # no mouth shape of its own: borrows the following phone's
BILABIAL = frozenset({"P", "B", "M"})
LABIODENTAL = frozenset({"F", "V"})
STOPS = frozenset({"P", "B", "T", "D", "K", "G", "CH", "JH"})
VOICED = frozenset(
    {"B", "D", "G", "V", "DH", "Z", "ZH", "JH", "M", "N", "NG", "L", "R", "W", "Y", "ER",
     "AA", "AE", "AH", "AO", "AW", "AY", "EH", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
)  # fmt: skip

# Mouth shapes apart from jawOpen (which comes per phone above). A bare name such as
# "mouthStretch" sets both its Left and Right channels.
VISEME_POSES: dict[str, dict[str, float]] = {
    "sil": {},
    "PP": {"mouthClose": 0.05, "mouthPress": 0.35, "mouthRollLower": 0.15, "mouthRollUpper": 0.1},
    "FF": {"lowerLipTuck": 1.0, "mouthRollLower": 0.55, "mouthUpperUp": 0.25, "upperTeethShow": 0.8,
           "mouthShrugUpper": 0.15},
    "TH": {"tongueBetweenTeeth": 1.0, "tongueOut": 0.2, "upperTeethShow": 0.6, "lowerTeethShow": 0.3,
           "tongueTipRaise": 0.3},
    "DD": {"tongueTipRaise": 1.0, "upperTeethShow": 0.45, "lowerTeethShow": 0.25, "mouthStretch": 0.1},
    "kk": {"tongueBackRaise": 1.0, "upperTeethShow": 0.35, "lowerTeethShow": 0.2},
    "CH": {"mouthFunnel": 0.45, "mouthPucker": 0.3, "lipProtrusion": 0.85, "upperTeethShow": 0.6,
           "lowerTeethShow": 0.4, "mouthShrugUpper": 0.2, "tongueTipRaise": 0.5},
    "SS": {"mouthStretch": 0.3, "mouthSmile": 0.12, "upperTeethShow": 0.8, "lowerTeethShow": 0.6,
           "tongueTipRaise": 0.6},
    "nn": {"tongueTipRaise": 0.9, "tongueLateral": 0.5, "upperTeethShow": 0.4, "lowerTeethShow": 0.2},
    "RR": {"mouthPucker": 0.35, "mouthFunnel": 0.3, "lipProtrusion": 0.45, "tongueCurl": 1.0,
           "upperTeethShow": 0.3},
    "aa": {"mouthLowerDown": 0.3, "mouthUpperUp": 0.1, "upperTeethShow": 0.5, "lowerTeethShow": 0.25},
    "E": {"mouthStretch": 0.3, "mouthSmile": 0.15, "mouthLowerDown": 0.2, "upperTeethShow": 0.6,
          "lowerTeethShow": 0.3},
    "I": {"mouthStretch": 0.4, "mouthSmile": 0.3, "upperTeethShow": 0.6, "lowerTeethShow": 0.45},
    "O": {"mouthFunnel": 0.6, "mouthPucker": 0.25, "lipProtrusion": 0.3, "upperTeethShow": 0.2},
    "U": {"mouthPucker": 0.8, "mouthFunnel": 0.35, "lipProtrusion": 0.6},
}  # fmt: skip
# Per viseme: dominance over (lip aperture, lip shape, jaw, tongue). Aperture is contact and
# opening (closure, press, tuck, teeth showing); shape is rounding and spreading. A bilabial
# must close the lips but does not care whether they are rounded, so the 'oo' of "moved"
# rounds the M and V around it.
VISEME_DOMINANCE: dict[str, tuple[float, float, float, float]] = {
    "sil": (1.0, 1.0, 1.0, 1.0),
    "PP": (6.0, 0.3, 2.0, 0.2), "FF": (5.0, 0.5, 1.5, 0.3), "TH": (0.6, 0.4, 1.2, 4.0),
    "DD": (0.4, 0.3, 1.0, 4.0), "kk": (0.2, 0.2, 0.7, 4.0), "CH": (2.5, 3.0, 1.5, 1.5),
    "SS": (1.0, 1.5, 2.5, 2.5), "nn": (0.3, 0.3, 0.8, 3.0), "RR": (1.2, 1.5, 1.0, 2.5),
    "aa": (1.0, 1.0, 1.5, 0.5), "E": (1.0, 1.2, 1.5, 0.5), "I": (1.0, 1.5, 1.2, 0.5),
    "O": (1.0, 2.0, 1.2, 0.5), "U": (1.0, 3.0, 1.0, 0.5),
}  # fmt: skip
TRANSPARENT_DOMINANCE = 0.1

# Which group each channel belongs to (first matching prefix wins); 4 = not blended (eyes,
# brows; lipSeal and the timed events are set directly by the animator's constraints).
_GROUPS = {
    0: ("mouthClose", "mouthPress", "mouthRoll", "mouthLowerDown", "mouthUpperUp", "lowerLipTuck",
        "upperTeethShow", "lowerTeethShow"),
    1: ("mouth", "lipProtrusion", "cheekPuff"),
    2: ("jaw",),
    3: ("tongue",),
}  # fmt: skip


def _group_of(name: str) -> int:
    for group, prefixes in _GROUPS.items():
        if any(name.startswith(p) for p in prefixes):
            return group
    return len(_GROUPS)


CHANNEL_GROUP = np.array([_group_of(n) for n in CHANNEL_INDEX], dtype=np.int64)  # (64,)
SPEECH_CHANNELS = len(_GROUPS) > CHANNEL_GROUP
# Everything the animator writes: the blended speech channels, lipSeal and the timed events.
# The rest (eyes, brows, cheek squint, nose) belongs to the motion model and stays 0 here.
ANIMATED_CHANNELS = SPEECH_CHANNELS | np.isin(np.arange(len(CHANNEL_INDEX)), [
    CHANNEL_INDEX["lipSeal"], CHANNEL_INDEX["plosiveRelease"], CHANNEL_INDEX["voicing"]
])  # fmt: skip


def _expand(pose: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in pose.items():
        if name in CHANNEL_INDEX:
            out[name] = value
        else:
            out[name + "Left"] = value
            out[name + "Right"] = value
    return out


def viseme_target(viseme: str, jaw_open: float) -> np.ndarray:
    """(64,) target pose of a viseme at the given jaw opening."""
    pose = _expand(VISEME_POSES[viseme])
    pose["jawOpen"] = jaw_open
    if "mouthClose" in pose:
        pose["mouthClose"] = jaw_open  # lips meet whatever the jaw does
    return channel_vector(pose)


def viseme_dominance(viseme: str) -> np.ndarray:
    """(64,) dominance per channel (1 for channels speech does not drive)."""
    by_group = np.array([*VISEME_DOMINANCE[viseme], 1.0], dtype=np.float32)
    return by_group[CHANNEL_GROUP]
