"""Per-channel displacement fields on the face-mesh landmarks, scaled to one avatar.

Each of the 64 expression channels moves the 478 landmarks by a fixed 2-D displacement at
weight 1.0 (a linear blendshape basis). The fields are authored procedurally in a face frame
(origin between the outer eye corners, x towards the subject's left eye, y down, unit = the
inter-ocular distance IOD), so they fit any face the mesh was fitted to.
"""

from __future__ import annotations

import numpy as np

from ..expression.channels import CHANNEL_INDEX, EXPRESSION_DIM
from . import topology as topo

JAW_DROP = 0.34  # lower-lip drop at jawOpen = 1, in IOD (about 3 cm on an adult)
LIP_AT_JAW = 0.85  # fraction of the jaw drop the lower lip follows (the chin moves 100 %)
CLOSE_LOWER = 0.75  # mouthClose: the lower lip does this share of the closing, the upper the rest
EAR_OPEN = 0.30  # eye aspect ratio of a relaxed open eye (used to read the source's blink state)


class FaceFrame:
    """Face-local coordinates of a landmark set: ``q = ((p - origin) @ axes.T) / iod``."""

    def __init__(self, lm: np.ndarray) -> None:
        xy = lm[:, :2].astype(np.float64)  # (N, 2)
        right, left = xy[topo.RIGHT_EYE_OUTER], xy[topo.LEFT_EYE_OUTER]
        self.origin = 0.5 * (right + left)
        self.iod = float(np.linalg.norm(left - right))
        ex = (left - right) / self.iod
        self.axes = np.stack([ex, np.array([-ex[1], ex[0]])])  # (2, 2): rows x, y (y down)
        self.q = (xy - self.origin) @ self.axes.T / self.iod  # (N, 2)

    def to_pixels(self, d: np.ndarray) -> np.ndarray:
        """Face-unit displacements (..., 2) -> pixel displacements (..., 2)."""
        return (d @ self.axes) * self.iod


def _smoothstep(a: float, b: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - a) / (b - a), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _gauss(q: np.ndarray, center: np.ndarray, radius: float) -> np.ndarray:
    return np.exp(-np.sum((q - center) ** 2, axis=-1) / (2.0 * radius**2))


def _idx(points: tuple[int, ...]) -> np.ndarray:
    return np.asarray(points, dtype=np.int64)


class _Builder:
    """Collects the (64, N, 2) basis in face units, channel by channel."""

    def __init__(self, lm: np.ndarray) -> None:
        self.frame = FaceFrame(lm)
        q = self.q = self.frame.q
        self.n = len(q)
        self.basis = np.zeros((EXPRESSION_DIM, self.n, 2))
        self.mouth = 0.5 * (q[topo.UPPER_LIP_INNER_MID] + q[topo.LOWER_LIP_INNER_MID])
        self.corner_r, self.corner_l = q[topo.MOUTH_RIGHT], q[topo.MOUTH_LEFT]
        self.half_width = 0.5 * abs(self.corner_l[0] - self.corner_r[0])
        self.chin_y = q[topo.CHIN, 1]
        upper = _idx(topo.LIPS_UPPER_OUTER[1:-1] + topo.LIPS_UPPER_INNER[1:-1])
        lower = _idx(topo.LIPS_LOWER_OUTER[1:-1] + topo.LIPS_LOWER_INNER[1:-1])
        corners = _idx((topo.MOUTH_RIGHT, topo.MOUTH_LEFT, 78, 308))
        self.upper_lip, self.lower_lip, self.corners = upper, lower, corners

    def add(self, channel: str, d: np.ndarray) -> None:
        self.basis[CHANNEL_INDEX[channel]] += d

    def side(self, sign: int) -> np.ndarray:
        """Soft mask of the subject's right (sign=-1, image left) or left (+1) half of the face."""
        return _smoothstep(-0.25, 0.25, sign * (self.q[:, 0] - self.mouth[0]))

    # --- regions -------------------------------------------------------------------------
    def jaw_weight(self) -> np.ndarray:
        """1 on the lower lip, chin and jaw line, 0 above the mouth line."""
        w = _smoothstep(self.mouth[1] - 0.03, self.mouth[1] + 0.10, self.q[:, 1])
        w[self.lower_lip] = 1.0
        w[self.upper_lip] = 0.0
        w[self.corners] = 0.5
        return w

    def lip_zone(self, lower: bool) -> np.ndarray:
        """1 on one lip, fading into the skin just around it."""
        q, m = self.q, self.mouth
        dy = (q[:, 1] - m[1]) if lower else (m[1] - q[:, 1])
        across = _smoothstep(self.half_width * 1.35, self.half_width * 0.9, np.abs(q[:, 0] - m[0]))
        w = across * _smoothstep(0.22, 0.05, dy) * (dy > -0.01)
        w[self.lower_lip if lower else self.upper_lip] = 1.0
        w[self.upper_lip if lower else self.lower_lip] = 0.0
        w[self.corners] = np.minimum(w[self.corners], 0.5)
        return w

    def near_corner(self, sign: int, radius: float = 0.22) -> np.ndarray:
        corner = self.corner_l if sign > 0 else self.corner_r
        return _gauss(self.q, corner, radius)

    def eye_data(
        self, upper: tuple[int, ...], lower: tuple[int, ...]
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """(upper-lid drop to meet the lower lid, per landmark; eye-region mask; eye height)."""
        q = self.q
        up, lo = q[_idx(upper)], q[_idx(lower)]
        order = np.argsort(lo[:, 0])
        lower_y = np.interp(q[:, 0], lo[order, 0], lo[order, 1])  # lower-lid height under each x
        upper_order = np.argsort(up[:, 0])
        upper_y = np.interp(q[:, 0], up[upper_order, 0], up[upper_order, 1])
        x0, x1 = up[:, 0].min(), up[:, 0].max()
        height = float(np.max(lower_y[_idx(upper)] - up[:, 1]))
        inside_x = _smoothstep(0.0, 0.25 * (x1 - x0), q[:, 0] - x0) * _smoothstep(
            0.0, 0.25 * (x1 - x0), x1 - q[:, 0]
        )
        # The upper lid, the skin above it and everything inside the opening slide down to the
        # lower lid; only the lower lid itself (and what is below it) stays.
        above_lower = q[:, 1] < lower_y - 1e-3 * height
        drop = np.where(above_lower, lower_y - upper_y, 0.0)
        fade = _smoothstep(upper_y - 2.5 * height, upper_y, q[:, 1])  # lid fold to brow
        mask = inside_x * fade
        return drop * mask, inside_x, height


def _jaw(b: _Builder) -> None:
    q, m = b.q, b.mouth
    depth = np.clip((q[:, 1] - m[1]) / max(b.chin_y - m[1], 1e-3), 0.0, 1.0)
    drop = JAW_DROP * (LIP_AT_JAW + (1.0 - LIP_AT_JAW) * depth)
    jaw = b.jaw_weight()
    d = np.zeros((b.n, 2))
    d[:, 1] = jaw * drop
    d[b.corners, 0] -= np.sign(q[b.corners, 0] - m[0]) * 0.03  # the mouth narrows as it opens
    b.add("jawOpen", d)
    b.add("jawForward", np.stack([np.zeros(b.n), 0.03 * jaw], axis=1))
    for name, sign in (("jawLeft", 1), ("jawRight", -1)):
        b.add(name, np.stack([sign * 0.10 * jaw, np.zeros(b.n)], axis=1))
    close = np.zeros((b.n, 2))
    close[:, 1] = -CLOSE_LOWER * JAW_DROP * LIP_AT_JAW * b.lip_zone(lower=True)
    close[:, 1] += (1.0 - CLOSE_LOWER) * JAW_DROP * LIP_AT_JAW * b.lip_zone(lower=False)
    b.add("mouthClose", close)
    # voicing: the floor of the mouth and the chin buzz; a hair of lowering keeps it visible
    b.add("voicing", np.stack([np.zeros(b.n), 0.006 * jaw], axis=1))


def _lips(b: _Builder) -> None:
    q, m, hw = b.q, b.mouth, b.half_width
    lips = np.maximum(b.lip_zone(lower=True), b.lip_zone(lower=False))
    toward_center = np.stack([(m[0] - q[:, 0]) / max(hw, 1e-3), np.zeros(b.n)], axis=1)
    upper, lower = b.lip_zone(lower=False), b.lip_zone(lower=True)
    inner_part = np.zeros((b.n, 2))
    inner_part[:, 1] = 0.035 * lower - 0.035 * upper
    b.add("mouthFunnel", lips[:, None] * toward_center * 0.18 * hw + inner_part)
    b.add("mouthPucker", lips[:, None] * toward_center * 0.35 * hw)
    b.add("lipProtrusion", lips[:, None] * toward_center * 0.12 * hw)
    for name, sign in (("mouthLeft", 1), ("mouthRight", -1)):
        b.add(name, np.stack([sign * 0.10 * lips, np.zeros(b.n)], axis=1))
    for suffix, sign in (("Left", 1), ("Right", -1)):
        corner = b.near_corner(sign)
        half = b.side(sign)
        b.add("mouthSmile" + suffix, np.stack([sign * 0.06 * corner, -0.08 * corner], axis=1))
        b.add("mouthFrown" + suffix, np.stack([np.zeros(b.n), 0.06 * corner], axis=1))
        b.add("mouthDimple" + suffix, np.stack([sign * 0.05 * corner, -0.01 * corner], axis=1))
        b.add("mouthStretch" + suffix, np.stack([sign * 0.07 * corner, 0.02 * corner], axis=1))
        press = np.zeros((b.n, 2))
        press[:, 1] = half * (0.02 * upper - 0.02 * lower)
        b.add("mouthPress" + suffix, press)
        b.add("mouthLowerDown" + suffix, np.stack([np.zeros(b.n), 0.07 * half * lower], axis=1))
        b.add("mouthUpperUp" + suffix, np.stack([np.zeros(b.n), -0.06 * half * upper], axis=1))
    for name, group_outer, group_inner in (
        ("mouthRollLower", topo.LIPS_LOWER_OUTER, topo.LIPS_LOWER_INNER),
        ("mouthRollUpper", topo.LIPS_UPPER_OUTER, topo.LIPS_UPPER_INNER),
    ):
        d = np.zeros((b.n, 2))
        outer, inner = _idx(group_outer[1:-1]), _idx(group_inner[1:-1])
        d[outer] = 0.6 * (q[inner] - q[outer])  # the lip's red part turns inwards
        b.add(name, d)
    b.add("mouthShrugLower", np.stack([np.zeros(b.n), -0.04 * lower], axis=1))
    b.add("mouthShrugUpper", np.stack([np.zeros(b.n), -0.03 * upper], axis=1))
    # F/V: the lower lip rises under the upper teeth (inside the source's closed lips).
    tuck = np.zeros((b.n, 2))
    tuck[:, 1] = -0.05 * lower
    tuck[_idx(topo.LIPS_LOWER_OUTER[1:-1]), 1] -= 0.02
    b.add("lowerLipTuck", tuck)
    b.add("upperTeethShow", np.stack([np.zeros(b.n), -0.025 * upper], axis=1))
    b.add("lowerTeethShow", np.stack([np.zeros(b.n), 0.025 * lower], axis=1))
    seal = np.zeros((b.n, 2))
    seal[:, 1] = 0.01 * upper - 0.01 * lower  # lips pressed into full contact
    b.add("lipSeal", seal)
    b.add("plosiveRelease", np.stack([np.zeros(b.n), 0.012 * lower - 0.006 * upper], axis=1))
    b.add("tongueOut", np.stack([np.zeros(b.n), 0.03 * lower], axis=1))
    b.add("tongueBetweenTeeth", np.stack([np.zeros(b.n), 0.012 * lower], axis=1))


def _cheeks_nose_brows(b: _Builder) -> None:
    q, m = b.q, b.mouth
    for suffix, sign, wing, brow_inner, brow_outer, brow in (
        ("Left", 1, topo.LEFT_NOSE_WING, topo.LEFT_BROW_INNER, topo.LEFT_BROW_OUTER, topo.LEFT_BROW),
        ("Right", -1, topo.RIGHT_NOSE_WING, topo.RIGHT_BROW_INNER, topo.RIGHT_BROW_OUTER, topo.RIGHT_BROW),
    ):
        cheek = _gauss(q, np.array([sign * 0.42, 0.45]), 0.16)
        b.add("cheekSquint" + suffix, np.stack([np.zeros(b.n), -0.035 * cheek], axis=1))
        b.add(
            "cheekPuff",
            np.stack([sign * 0.05 * _gauss(q, np.array([sign * 0.45, m[1] - 0.05]), 0.2), np.zeros(b.n)], 1),
        )
        wing_center = q[_idx(wing)].mean(axis=0)
        b.add("noseSneer" + suffix, np.stack([np.zeros(b.n), -0.035 * _gauss(q, wing_center, 0.09)], axis=1))
        brow_center = q[_idx(brow)].mean(axis=0)
        brow_zone = _gauss(q, brow_center, 0.2)
        b.add("browDown" + suffix, np.stack([-sign * 0.02 * brow_zone, 0.05 * brow_zone], axis=1))
        inner = _gauss(q, q[_idx(brow_inner)].mean(axis=0), 0.13)
        outer = _gauss(q, q[_idx(brow_outer)].mean(axis=0), 0.13)
        b.add("browInnerUp", np.stack([np.zeros(b.n), -0.07 * inner], axis=1))
        b.add("browOuterUp" + suffix, np.stack([np.zeros(b.n), -0.07 * outer], axis=1))


def _eyes(b: _Builder) -> None:
    q = b.q
    for suffix, upper, lower, iris in (
        ("Left", topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_IRIS),
        ("Right", topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_IRIS),
    ):
        drop, inside_x, height = b.eye_data(upper, lower)
        iris_idx = _idx(iris)
        # eyeBlink has no displacement: the closing lid is an occlusion, drawn by eyelids.py.
        lid = np.zeros((b.n, 2))
        lid[:, 1] = 0.3 * drop * (q[:, 1] < q[_idx(lower), 1].min())  # squint lowers the lid a little
        b.add("eyeSquint" + suffix, lid)
        lower_lid = np.zeros((b.n, 2))
        lower_idx = _idx(lower[1:-1])
        lower_lid[lower_idx, 1] = -0.25 * height
        b.add("eyeSquint" + suffix, lower_lid)
        wide = np.zeros((b.n, 2))
        wide[:, 1] = -0.25 * height * (drop > 0) * inside_x
        b.add("eyeWide" + suffix, wide)
        eye_width = float(np.ptp(q[_idx(upper), 0]))
        nasal = -1.0 if suffix == "Left" else 1.0  # towards the nose, in face x
        for look, vec in (
            ("In", (nasal * 0.22 * eye_width, 0.0)),
            ("Out", (-nasal * 0.22 * eye_width, 0.0)),
            ("Up", (0.0, -0.30 * height)),
            ("Down", (0.0, 0.30 * height)),
        ):
            d = np.zeros((b.n, 2))
            d[iris_idx] = vec
            if look in ("Up", "Down"):  # the upper lid follows the eye up and down
                d[_idx(upper[1:-1]), 1] += 0.4 * vec[1]
            b.add(f"eyeLook{look}{suffix}", d)


def expression_basis(lm: np.ndarray) -> np.ndarray:
    """(64, N, 2) pixel displacement of each landmark per unit of each channel."""
    b = _Builder(lm)
    _jaw(b)
    _lips(b)
    _cheeks_nose_brows(b)
    _eyes(b)
    return b.frame.to_pixels(b.basis).astype(np.float32)


def source_expression(lm: np.ndarray) -> np.ndarray:
    """(64,) the expression the photo already shows (open mouth, half-closed eyes).

    Rendering these values reproduces the photo; zeros give the relaxed, closed-mouth face,
    so an open-mouth portrait closes its lips when the speech is silent.
    """
    frame = FaceFrame(lm)
    q = frame.q
    gap = float(q[topo.LOWER_LIP_INNER_MID, 1] - q[topo.UPPER_LIP_INNER_MID, 1])
    out = np.zeros(EXPRESSION_DIM, dtype=np.float32)
    out[CHANNEL_INDEX["jawOpen"]] = np.clip(gap / (JAW_DROP * LIP_AT_JAW), 0.0, 1.0)
    for suffix, upper, lower in (
        ("Left", topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER),
        ("Right", topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER),
    ):
        width = np.linalg.norm(q[upper[0]] - q[upper[-1]])
        opening = np.mean(q[_idx(lower[2:-2]), 1] - q[_idx(upper[2:-2]), 1])
        out[CHANNEL_INDEX["eyeBlink" + suffix]] = np.clip(1.0 - (opening / width) / EAR_OPEN, 0.0, 0.6)
    return out
