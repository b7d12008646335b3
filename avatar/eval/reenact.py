"""``avatar eval reenact``: self-reenactment, how faithfully the renderer reproduces a real face.

For each real clip: its neutral frame (capture's choice, the most relaxed closed-mouth frame) is
enrolled as the avatar, the avatar is driven with the clip's own capture at 30 fps, and every
rendered frame is compared with the real frame shown nearest in time, warped into the rendered
frame's crop. ``align`` says how: ``"frame"`` (the default) registers each real frame on the
rendered one by the eye corners and the nose bridge (REGISTER_POINTS, a least-squares similarity),
so that head translation and zoom, which the renderer does not reproduce, leave the mouth and face
figures; ``"clip"`` uses the neutral frame's alignment for every frame (the camera and the head's
place taken as fixed). Frames where capture found no face are left out. Per clip:

- ``aperture_r``: Pearson r of the inner-lip aperture (MediaPipe inner-lip gap / eye distance,
  the measure of ``eval lipsync``) on the real and the rendered frames;
- ``lip_nme``: mean distance between the real and rendered frames' 40 lip landmarks (LIP_POINTS),
  over the real frame's outer-eye distance;
- ``mouth_psnr`` / ``mouth_ssim``: PSNR (dB) and SSIM over a box around the neutral's lips
  (MOUTH_PAD), and ``face_psnr`` / ``face_ssim`` over the neutral's face oval; frame means.

Landmarks are detected afresh (MediaPipe, photo mode) on both aligned crops at the render size,
so real and rendered frames are measured alike.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from ..animation import Animation
from ..capture import capture
from ..capture.core import track
from ..capture.neutral import neutral_index
from ..config import Config
from ..errors import AvatarError
from ..expression.channels import CHANNEL_INDEX
from ..models import load_renderer
from ..portrait import detect_faces, inner_lip_gap
from ..portrait.align import CROP_SIZE, align_face, alignment_matrix, warp
from ..portrait.facemesh import eye_distance
from ..render import topology as topo
from ..video.reader import read_frames
from .image import psnr, ssim_map
from .metrics import pearson
from .report import finite_mean

METRICS = ("aperture_r", "lip_nme", "mouth_psnr", "mouth_ssim", "face_psnr", "face_ssim")
# MediaPipe's FACEMESH_LIPS: 20 outer-contour points (corners 61 and 291 with 9 above and 9 below)
# and 20 inner-contour points (corners 78 and 308 with 9 above and 9 below)
LIP_POINTS = tuple(
    dict.fromkeys(
        topo.LIPS_UPPER_OUTER + topo.LIPS_LOWER_OUTER + topo.LIPS_UPPER_INNER + topo.LIPS_LOWER_INNER
    )
)
# The mouth box: the neutral's lips plus this much (eye distances) to each side, above, and
# below, where the jaw drops
MOUTH_PAD = (0.15, 0.10, 0.30)
SHEET_FRAMES = 4  # widest openings per clip on the contact sheet
SHEET_GAP_S = 0.3  # between two of them, so that one wide vowel does not fill the row
BLINKS = (CHANNEL_INDEX["eyeBlinkLeft"], CHANNEL_INDEX["eyeBlinkRight"])
# Points the mouth and jaw do not move: the four eye corners and the nose bridge
REGISTER_POINTS = (33, 133, 362, 263, 168)
ALIGNS = ("frame", "clip")

Drive = Callable[..., Animation]  # (video, neutral_frame=N) -> Animation, as avatar.capture.capture


@dataclass
class Pair:
    """One frame of the contact sheet: the real and the rendered face, cut to the face's box."""

    time: float
    aperture: float
    real: np.ndarray  # (h, w, 3) uint8
    rendered: np.ndarray  # (h, w, 3) uint8


@dataclass
class ClipResult:
    """A clip's JSON-ready figures and curves (``summary``) and its contact-sheet frames."""

    summary: dict
    pairs: list[Pair] = field(default_factory=list)


def drive_expression(captured: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Captured channels (T, 64), measured from the person's neutral frame, -> the renderer's
    expression for an avatar enrolled from that frame, whose photo shows ``neutral`` (64,):
    displacements add to it, and a captured blink closes the share of the lid still open."""
    out = captured + neutral
    blink = list(BLINKS)
    out[:, blink] = neutral[blink] + captured[:, blink] * (1.0 - neutral[blink])
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def regions(landmarks: np.ndarray, size: int) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]:
    """The face's (x0, y0, x1, y1) box and the (size, size) bool masks of the mouth box and the
    face oval, from the neutral's landmarks (478, 3) in render pixels."""
    iod = eye_distance(landmarks)
    lips = landmarks[list(LIP_POINTS), :2]
    side, up, down = (p * iod for p in MOUTH_PAD)
    (x0, y0), (x1, y1) = lips.min(0), lips.max(0)
    mouth = np.zeros((size, size), bool)
    mouth[
        max(int(y0 - up), 0) : min(int(np.ceil(y1 + down)), size),
        max(int(x0 - side), 0) : min(int(np.ceil(x1 + side)), size),
    ] = True
    oval = landmarks[list(topo.FACE_OVAL), :2]
    face = np.zeros((size, size), np.uint8)
    cv2.fillPoly(face, [np.round(oval - 0.5).astype(np.int32)], 1)
    (fx0, fy0), (fx1, fy1) = np.clip(oval.min(0), 0, size), np.clip(oval.max(0), 0, size)
    return (int(fx0), int(fy0), int(np.ceil(fx1)), int(np.ceil(fy1))), mouth, face.astype(bool)


def fit_similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares similarity (rotation, uniform scale, shift) taking points (N, 2) of
    ``source`` onto ``target`` (Umeyama's closed form, no reflection)."""
    src, dst = source.astype(np.float64), target.astype(np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sigma, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ d @ vt
    scale = float(np.trace(np.diag(sigma) @ d) / max((a**2).sum() / len(src), 1e-12))
    return np.hstack([scale * rot, (mu_d - scale * rot @ mu_s)[:, None]])


def nearest_frames(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Index of the video frame whose time is nearest each grid time."""
    right = np.clip(np.searchsorted(times, grid), 1, len(times) - 1)
    left = right - 1
    return np.where(np.abs(times[left] - grid) <= np.abs(times[right] - grid), left, right)


def _face_mesh(frame: np.ndarray) -> np.ndarray | None:
    faces = detect_faces(np.ascontiguousarray(frame))
    return faces[0] if faces else None


def _lip_nme(real: np.ndarray | None, rendered: np.ndarray | None) -> float:
    if real is None or rendered is None:
        return np.nan
    idx = list(LIP_POINTS)
    error = np.linalg.norm(real[idx, :2] - rendered[idx, :2], axis=1).mean()
    return float(error / max(eye_distance(real), 1e-6))


def _widest(aperture: np.ndarray, gap: int, count: int) -> list[int]:
    """Up to ``count`` frames of the widest real aperture, at least ``gap`` frames apart, in time order."""
    picked: list[int] = []
    for i in np.argsort(-np.nan_to_num(aperture, nan=-np.inf)):
        if not np.isfinite(aperture[i]) or len(picked) == count:
            break
        if all(abs(int(i) - j) >= gap for j in picked):
            picked.append(int(i))
    return sorted(picked)


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 5) for v in values]


def _read_video(video: str | Path, neutral: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """(frame times from the first, every frame's RGB)."""
    times, frames = [], []
    for t, rgb in read_frames(video):
        times.append(t)
        frames.append(rgb)
    if neutral >= len(frames):
        raise AvatarError(f"{video}: the video has {len(times)} frames, fewer than when it was tracked")
    t = np.asarray(times, np.float64)
    return t - t[0], frames


def reenact_clip(
    video: str | Path,
    cfg: Config,
    size: int = 256,
    drive: Drive = capture,
    sheet: int = SHEET_FRAMES,
    align: str = "frame",
) -> ClipResult:
    """Self-reenact one clip (see the module docstring); AvatarError for a clip it cannot use."""
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {ALIGNS}, not {align!r}")
    start = time.perf_counter()
    _, faces = track(video)
    neutral = neutral_index(faces)
    anim = drive(video, neutral_frame=neutral)
    lm = faces[neutral]
    times, video_frames = _read_video(video, neutral)
    aligned = align_face(video_frames[neutral], lm)
    renderer = load_renderer(aligned, size, cfg)  # render.mouth and the device as configured
    box, mouth, face = regions(aligned.landmarks * (size / CROP_SIZE), size)

    expression = drive_expression(anim.expression, renderer.neutral.cpu().numpy())
    grid = np.arange(anim.num_frames) / anim.fps
    shown = nearest_frames(times, grid)
    clip_matrix = alignment_matrix(lm, size)
    device = renderer.basis.device
    driven = (
        torch.as_tensor(a, dtype=torch.float32, device=device) for a in (expression, anim.head, anim.gaze)
    )
    with torch.no_grad():  # where the rendered frames' eye corners and nose bridge are
        anchors = renderer.landmarks(*driven)[:, list(REGISTER_POINTS)].cpu().numpy()  # (T, 5, 2)

    def real_crop(i: int) -> np.ndarray:
        """Grid frame i's real frame, in the rendered frame's crop."""
        real_lm = faces[shown[i]]
        if align == "clip" or real_lm is None:
            return warp(video_frames[shown[i]], clip_matrix, size)
        return warp(
            video_frames[shown[i]], fit_similarity(real_lm[list(REGISTER_POINTS), :2], anchors[i]), size
        )

    found = np.ones(anim.num_frames, bool) if anim.face_found is None else anim.face_found
    used = np.flatnonzero(found)
    per_frame = {k: np.full(anim.num_frames, np.nan) for k in ("real", "rendered", *METRICS[1:])}
    batch = cfg.inference.batch_size
    for lo in range(0, len(used), batch):
        idx = used[lo : lo + batch]
        frames = renderer.render(expression[idx], anim.head[idx], anim.gaze[idx])
        for i, rendered in zip(idx, frames, strict=True):
            real = real_crop(i)
            real_lm, rendered_lm = _face_mesh(real), _face_mesh(rendered)
            if real_lm is not None:
                per_frame["real"][i] = inner_lip_gap(real_lm)
            if rendered_lm is not None:
                per_frame["rendered"][i] = inner_lip_gap(rendered_lm)
            per_frame["lip_nme"][i] = _lip_nme(real_lm, rendered_lm)
            structure = ssim_map(real, rendered)
            per_frame["mouth_psnr"][i] = psnr(real, rendered, mouth)
            per_frame["face_psnr"][i] = psnr(real, rendered, face)
            per_frame["mouth_ssim"][i] = float(structure[mouth].mean())
            per_frame["face_ssim"][i] = float(structure[face].mean())

    figures = {"aperture_r": pearson(per_frame["real"], per_frame["rendered"])}
    figures.update({k: finite_mean(per_frame[k]) for k in METRICS[1:]})
    x0, y0, x1, y1 = box
    pairs = []
    for i in _widest(per_frame["real"], round(SHEET_GAP_S * anim.fps), sheet):
        rendered = renderer.render(expression[i : i + 1], anim.head[i : i + 1], anim.gaze[i : i + 1])[0]
        real = real_crop(i)
        pairs.append(
            Pair(float(grid[i]), float(per_frame["real"][i]), real[y0:y1, x0:x1], rendered[y0:y1, x0:x1])
        )
    summary = {
        "name": Path(video).stem,
        "video": str(video),
        "frames": int(anim.num_frames),
        "frames_compared": len(used),
        "video_frames": len(times),
        "neutral_frame": int(neutral),
        "align": align,
        **{k: None if v is None or not np.isfinite(v) else round(float(v), 5) for k, v in figures.items()},
        "seconds": round(time.perf_counter() - start, 2),
        "fps": anim.fps,
        "real_aperture": _listed(per_frame["real"]),
        "rendered_aperture": _listed(per_frame["rendered"]),
    }
    return ClipResult(summary, pairs)


def evaluate_reenact(
    videos: Sequence[str | Path],
    cfg: Config,
    size: int = 256,
    settings: dict[str, str] | None = None,
    progress: Callable[[int, int, Path, ClipResult | None, str | None], None] | None = None,
    drive: Drive = capture,
    align: str = "frame",
) -> tuple[dict, dict[str, list[Pair]]]:
    """Self-reenact every clip. Returns the JSON-ready results (per clip, ``mean`` of METRICS
    over the clips evaluated, ``skipped`` with each unusable clip's one-line reason) and the
    contact-sheet frames by clip name. ``progress(done, total, video, result, error)`` after each."""
    clips, skipped, pairs = [], [], {}
    for n, video in enumerate(videos):
        video = Path(video)
        result, error = None, None
        try:
            if not video.is_file():
                raise AvatarError(f"not a file: {video}")
            result = reenact_clip(video, cfg, size, drive, align=align)
        except AvatarError as exc:
            error = str(exc)
            skipped.append({"video": str(video), "error": error})
        else:
            clips.append(result.summary)
            pairs[result.summary["name"]] = result.pairs
        if progress is not None:
            progress(n + 1, len(videos), video, result, error)
    results = {
        "kind": "reenact",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "size": size,
        "settings": dict(settings or {}),
        "align": align,
        "metrics": list(METRICS),
        "clips": clips,
        "skipped": skipped,
        "mean": {k: finite_mean(c[k] for c in clips) for k in METRICS},
    }
    return results, pairs
