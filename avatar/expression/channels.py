"""The expression contract: a 64-d vector per video frame, every value in [0, 1].

Channels 0-51 are Apple's 52 ARKit blendshapes, with Apple's names, in the order of
``ARFaceAnchor.BlendShapeLocation`` as streamed by Live Link Face (eyeBlinkLeft ... tongueOut).
Channels 52-63 are speech articulators that ARKit lacks, defined in ``ARTICULATORS`` below.
This module is the only place the list lives; everything else indexes through ``CHANNEL_INDEX``.
"""

from __future__ import annotations

import numpy as np

ARKIT_BLENDSHAPES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)  # fmt: skip

# name -> definition of 1.0 (0.0 is always the relaxed, closed-mouth rest pose).
ARTICULATORS: dict[str, str] = {
    "tongueTipRaise": "tongue tip pressed to the ridge behind the upper teeth (T, D, N, L, S, Z)",
    "tongueBetweenTeeth": "tongue tip visible between the upper and lower teeth (TH, DH)",
    "tongueBackRaise": "back of the tongue raised against the soft palate (K, G, NG)",
    "tongueCurl": "tongue tip curled up and back, bunched (R, ER)",
    "tongueLateral": "tongue tip up with its sides lowered, air around the sides (L)",
    "lowerLipTuck": "lower lip drawn up under the upper front teeth (F, V)",
    "upperTeethShow": "upper front teeth fully visible between the lips",
    "lowerTeethShow": "lower front teeth fully visible between the lips",
    "lipSeal": "lips in full contact along their length, whatever the jaw does (P, B, M)",
    "lipProtrusion": "lips pushed forward off the teeth, corners in (SH, ZH, CH, JH, R, W)",
    "plosiveRelease": "the instant a stop's closure opens (P B T D K G CH JH), fading in ~60 ms",
    "voicing": "vocal folds vibrating (vowels and voiced consonants); drives throat motion",
}

CHANNELS: tuple[str, ...] = ARKIT_BLENDSHAPES + tuple(ARTICULATORS)
CHANNEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(CHANNELS)}

NUM_ARKIT = len(ARKIT_BLENDSHAPES)  # 52
NUM_ARTICULATORS = len(ARTICULATORS)  # 12
EXPRESSION_DIM = len(CHANNELS)  # 64


def channel_vector(values: dict[str, float]) -> np.ndarray:
    """A (64,) float32 vector with the named channels set and the rest zero."""
    vec = np.zeros(EXPRESSION_DIM, dtype=np.float32)
    for name, value in values.items():
        vec[CHANNEL_INDEX[name]] = value
    return vec


def mouth_openness(expression: np.ndarray) -> np.ndarray:
    """Lip aperture implied by a (..., 64) expression, in [0, 1]; 0 means lips touching.

    ARKit's mouthClose closes the lips against an open jaw, so the gap is jawOpen - mouthClose,
    widened by the lips parting on their own (lowerDown / upperUp) and zeroed by lipSeal.
    """
    x = np.asarray(expression, dtype=np.float32)

    def ch(name: str) -> np.ndarray:
        return x[..., CHANNEL_INDEX[name]]

    lips_apart = 0.25 * (
        ch("mouthLowerDownLeft")
        + ch("mouthLowerDownRight")
        + ch("mouthUpperUpLeft")
        + ch("mouthUpperUpRight")
    )
    gap = np.clip(ch("jawOpen") - ch("mouthClose"), 0.0, 1.0) + 0.3 * lips_apart
    return np.clip(gap * (1.0 - ch("lipSeal")), 0.0, 1.0)
