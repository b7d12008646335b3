"""Landmark indices of MediaPipe's 478-point face mesh that the renderer needs.

Contours run from the subject's right to left (image left to right on a frontal face).
"Right"/"left" are the subject's own, as in ARKit (eyeBlinkRight closes the eye on the
image's left).
"""

from __future__ import annotations

NUM_LANDMARKS = 478  # 468 mesh points + 10 iris points (refine_landmarks=True)

RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263  # the inter-ocular distance (IOD) is measured here
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
UPPER_LIP_INNER_MID, LOWER_LIP_INNER_MID = 13, 14
CHIN = 152
NOSE_TIP = 1

LIPS_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)

# Eyelids, outer corner -> inner corner.
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
RIGHT_IRIS = (468, 469, 470, 471, 472)  # centre first
LEFT_IRIS = (473, 474, 475, 476, 477)

RIGHT_BROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
LEFT_BROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
RIGHT_BROW_INNER, LEFT_BROW_INNER = (55, 65, 107, 66), (285, 295, 336, 296)
RIGHT_BROW_OUTER, LEFT_BROW_OUTER = (46, 53, 70, 63), (276, 283, 300, 293)
RIGHT_NOSE_WING, LEFT_NOSE_WING = (129, 98, 64, 48, 102), (358, 327, 294, 278, 331)

FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
