"""The portrait renderer: (expression, head pose, gaze) -> RGB frames of one avatar.

Everything that depends only on the avatar (displacement basis, triangulation, per-pixel
interpolation weights, the photo's mouth interior) is computed once in ``__init__``; a batch
of frames is then a matrix product, three gathers, two ``grid_sample`` calls (4-D, so the
module exports to ONNX) and the mouth layer. CPU and CUDA run the same operations.

Head angles are degrees: pitch > 0 nods down, yaw > 0 turns towards the subject's left (image
right), roll > 0 tilts the top of the head towards image left. Gaze is (yaw, pitch) in degrees,
yaw > 0 towards the subject's left, pitch > 0 up.
"""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..expression.channels import CHANNEL_INDEX, EXPRESSION_DIM
from . import topology as topo
from .allocator import keep_freed_buffers
from .deformers import FaceFrame, expression_basis, source_expression
from .eyelids import EYES, blink_amount, eyelid_sources
from .learned_mouth import LearnedMouth, skin_rgb
from .mouth import mouth_interior, mouth_opening
from .mouth_net import MouthNet
from .warp import build_warp_mesh

GAZE_FULL_DEG = 30.0  # gaze angle that drives an eyeLook channel to 1
DEPTH_SCALE = 0.9  # the face mesh's z runs deep (nose 0.43 IOD before the eyes; real faces ~0.35)
MOUTH_BOX = (0.95, 0.3, 0.75)  # region that can hold the mouth opening: half-width, up, down (IOD)
EYE_BOX = (0.45, 0.45, 0.25)  # region a closing eyelid can touch, around each eye
# The displacement is computed at 256^2 and upsampled for larger frames: it is piecewise linear
# over triangles several pixels wide, so bilinear upsampling changes it by a fraction of a pixel,
# and at 512^2 the interpolation and its inversion cost a quarter (only the photo is sampled at
# full resolution).
FLOW_SIZE = 256


def _gaze_channels(gaze: torch.Tensor) -> torch.Tensor:
    """(B, 2) gaze degrees -> (B, 64) eyeLook weights (other channels zero)."""
    yaw = (gaze[:, 0] / GAZE_FULL_DEG).clamp(-1, 1)
    pitch = (gaze[:, 1] / GAZE_FULL_DEG).clamp(-1, 1)
    out = torch.zeros(gaze.shape[0], EXPRESSION_DIM, dtype=gaze.dtype, device=gaze.device)
    right, left = yaw.clamp(min=0), (-yaw).clamp(min=0)  # towards the subject's left / right
    for name, value in (
        ("eyeLookOutLeft", right), ("eyeLookInRight", right),
        ("eyeLookInLeft", left), ("eyeLookOutRight", left),
        ("eyeLookUpLeft", pitch.clamp(min=0)), ("eyeLookUpRight", pitch.clamp(min=0)),
        ("eyeLookDownLeft", (-pitch).clamp(min=0)), ("eyeLookDownRight", (-pitch).clamp(min=0)),
    ):  # fmt: skip
        out[:, CHANNEL_INDEX[name]] = value
    return out


def _rotation(head: torch.Tensor) -> torch.Tensor:
    """(B, 3) pitch, yaw, roll degrees -> (B, 3, 3) rotation of (x right, y down, z into the screen)."""
    p, y, r = (head * (math.pi / 180.0)).unbind(-1)
    one, zero = torch.ones_like(p), torch.zeros_like(p)
    rx = torch.stack([one, zero, zero, zero, p.cos(), -p.sin(), zero, p.sin(), p.cos()], -1).view(-1, 3, 3)
    ry = torch.stack([y.cos(), zero, -y.sin(), zero, one, zero, y.sin(), zero, y.cos()], -1).view(-1, 3, 3)
    rz = torch.stack([r.cos(), r.sin(), zero, -r.sin(), r.cos(), zero, zero, zero, one], -1).view(-1, 3, 3)
    return rz @ ry @ rx


def _source_mouth_mask(image_size: int, lm: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """(S, S) float mask of the photo's own open mouth (zeros if its lips are closed)."""
    mask = np.zeros((image_size, image_size), np.float32)
    polygon = np.concatenate([lm[list(topo.LIPS_UPPER_INNER), :2], lm[list(topo.LIPS_LOWER_INNER[::-1]), :2]])
    gap = np.linalg.norm(lm[topo.LOWER_LIP_INNER_MID, :2] - lm[topo.UPPER_LIP_INNER_MID, :2])
    if gap < max(2.0, 0.02 * frame.iod):  # closed lips: nothing inside to reuse
        return mask
    cv2.fillPoly(mask, [np.round(polygon * 16).astype(np.int32)], 1.0, lineType=cv2.LINE_AA, shift=4)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8))


def _pixels(box: tuple[int, ...]) -> torch.Tensor:
    """(M, 2) x, y pixel centres of a (y0, y1, x0, x1) box, row by row."""
    y0, y1, x0, x1 = box
    ys, xs = torch.meshgrid(torch.arange(y0, y1), torch.arange(x0, x1), indexing="ij")
    return torch.stack([xs.ravel(), ys.ravel()], -1).float()


def _mouth_center(lm: np.ndarray) -> np.ndarray:
    return 0.5 * (lm[topo.UPPER_LIP_INNER_MID, :2] + lm[topo.LOWER_LIP_INNER_MID, :2])


class Renderer(nn.Module):
    """Renders one avatar at ``size`` x ``size`` (256 or 512).

    ``image`` is the aligned portrait (H, W, 3) uint8 and ``landmarks`` its (478, 3) face mesh
    in the same pixels. ``neutral`` (64,) is the expression the photo shows: rendering it (with
    zero head pose and gaze) reproduces the photo. ``mouth`` is the learned mouth's network
    (``avatar.models.load_mouth``); None draws the mouth procedurally (mouth.py).
    """

    def __init__(
        self, image: np.ndarray, landmarks: np.ndarray, size: int = 256, mouth: MouthNet | None = None
    ) -> None:
        super().__init__()
        keep_freed_buffers()
        scale = size / image.shape[1]
        if image.shape[0] != image.shape[1]:
            raise ValueError(f"the aligned portrait must be square, got {image.shape[:2]}")
        img = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA) if scale != 1 else image
        lm = landmarks.astype(np.float64) * scale  # x, y, z all scale with the image
        lm[:, :2] += 0.5 * scale - 0.5  # keep pixel centres aligned after resizing
        frame = FaceFrame(lm)
        self.flow_size = min(size, FLOW_SIZE) if size % FLOW_SIZE == 0 else size
        step = size // self.flow_size
        mesh = build_warp_mesh(lm, size, step)
        fs = self.flow_size
        basis = np.zeros((EXPRESSION_DIM, len(mesh.points), 2), np.float32)
        basis[:, : len(lm)] = expression_basis(lm)
        self.size, self.iod = size, frame.iod
        self.register_buffer("neutral", torch.from_numpy(source_expression(lm)))
        self.register_buffer("basis", torch.from_numpy(basis))  # (64, P, 2)
        self.register_buffer("points", torch.from_numpy(mesh.points))  # (P, 2)
        self.register_buffer("follow", torch.from_numpy(mesh.head_follow))  # (P,)
        self.register_buffer("depth", torch.from_numpy(mesh.depth) * DEPTH_SCALE)  # (P,)
        # Pixel <- anchor interpolation as a sparse (H*W, P) matrix, 3 weights a row, scaled to
        # grid_sample's units (2 / S per pixel). A sparse product is 5x faster than gathers;
        # `sparse = False` switches to plain gathers for exporters that lack sparse tensors.
        rows = np.repeat(np.arange(fs * fs), 3)
        interp = torch.sparse_coo_tensor(
            torch.from_numpy(np.stack([rows, mesh.vertices.ravel()])),
            torch.from_numpy(mesh.weights.ravel() * (2.0 / size)),
            (fs * fs, len(mesh.points)),
            check_invariants=True,
        ).coalesce()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            self.register_buffer("interp", interp.to_sparse_csr())
        self.register_buffer("vertices", torch.from_numpy(mesh.vertices.T.copy()))  # (3, F*F)
        self.register_buffer(
            "weights", torch.from_numpy(mesh.weights.T[..., None] * (2.0 / size))
        )  # (3, F*F, 1)
        self.sparse = True
        # Skip the eyelid and mouth layers for batches where they would not change a pixel;
        # exporters that trace one graph for every input set this to False.
        self.skip_idle_layers = True
        chin = lm[topo.CHIN]
        pivot = (frame.origin[0], chin[1] + 0.35 * frame.iod, np.median(lm[:, 2]) + 0.9 * frame.iod)
        self.register_buffer("pivot", torch.tensor(pivot, dtype=torch.float32))
        ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        pixels = torch.stack([xs, ys], -1).float()[None]  # (1, S, S, 2)
        self.register_buffer("grid", (pixels + 0.5) * (2.0 / size) - 1.0)  # grid_sample units
        ys, xs = torch.meshgrid(torch.arange(fs), torch.arange(fs), indexing="ij")
        pixels = torch.stack([xs, ys], -1).float()[None]  # (1, F, F, 2)
        self.register_buffer("flow_grid", (pixels + 0.5) * (2.0 / fs) - 1.0)
        self.register_buffer(
            "source", torch.tensor(img).permute(2, 0, 1).float()[None] / 255.0
        )  # (1, 3, S, S)
        self.register_buffer("own_mouth", torch.from_numpy(_source_mouth_mask(size, lm, frame))[None, None])
        lips = np.concatenate([lm[list(topo.LIPS_UPPER_OUTER), :2], lm[list(topo.LIPS_LOWER_OUTER), :2]])
        lip_px = img[
            np.clip(lips[:, 1].round().astype(int), 0, size - 1),
            np.clip(lips[:, 0].round().astype(int), 0, size - 1),
        ]
        self.register_buffer("lip_rgb", torch.from_numpy(np.median(lip_px, axis=0) / 255.0).float())
        # Regions the mouth and eyelid layers may touch: rectangles (y0, y1, x0, x1), so they are
        # read and written as slices, with their pixel centres kept for the layers' geometry.
        self.mouth_box = self._box(frame, _mouth_center(lm), MOUTH_BOX)
        self.register_buffer("mouth_pixels", _pixels(self.mouth_box))
        self.learned = None
        if mouth is not None:
            skin = skin_rgb(img, lm, self.mouth_box)
            self.learned = LearnedMouth(
                mouth,
                self.mouth_box,
                _mouth_center(lm),
                frame.iod,
                self.lip_rgb,
                skin,
                self.neutral,
                self.own_mouth[0, 0].numpy(),
            )
        centers = [lm[list(upper), :2].mean(0) for _, upper, _ in EYES]
        mid = int(np.round(0.5 * (centers[0][0] + centers[1][0])))
        self.eye_boxes = []
        for center in centers:  # each eye keeps its own side of the nose: no pixel is written twice
            y0, y1, x0, x1 = self._box(frame, center, EYE_BOX)
            self.eye_boxes.append(
                (y0, y1, max(x0, mid), x1) if center[0] > mid else (y0, y1, x0, min(x1, mid))
            )
        self.register_buffer("eye_pixels", torch.cat([_pixels(box) for box in self.eye_boxes]))

    def _box(self, frame: FaceFrame, center: np.ndarray, box: tuple[float, float, float]) -> tuple[int, ...]:
        """(y0, y1, x0, x1) slice bounds of a region around ``center``: (half-width, up, down) in IOD."""
        half, up, down = (v * frame.iod for v in box)
        x0, x1 = int(max(center[0] - half, 0)), int(min(center[0] + half, self.size - 1)) + 1
        y0, y1 = int(max(center[1] - up, 0)), int(min(center[1] + down, self.size - 1)) + 1
        return y0, y1, x0, x1

    def landmarks(self, expression: torch.Tensor, head: torch.Tensor, gaze: torch.Tensor) -> torch.Tensor:
        """(B, P, 2) deformed anchor positions; the first 478 are the face-mesh landmarks."""
        w = expression + _gaze_channels(gaze) - self.neutral  # (B, 64)
        pts = self.points + torch.einsum("bc,cpk->bpk", w, self.basis)  # (B, P, 2)
        xyz = torch.cat([pts, self.depth.expand(pts.shape[0], -1)[..., None]], -1) - self.pivot
        turned = xyz @ _rotation(head).transpose(1, 2) + self.pivot  # (B, P, 3)
        return pts + self.follow[:, None] * (turned[..., :2] - pts)

    def forward(self, expression: torch.Tensor, head: torch.Tensor, gaze: torch.Tensor) -> torch.Tensor:
        """(B, 64), (B, 3), (B, 2) -> (B, 3, S, S) RGB in [0, 1]."""
        rgb, pts, grid = self.warped(expression, head, gaze)
        rgb = self._blink(rgb, pts, expression)
        return self._mouth(rgb, pts, expression, grid)

    def warped(
        self, expression: torch.Tensor, head: torch.Tensor, gaze: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The photo warped to the parameters before the eyelid and mouth layers: (B, 3, S, S) RGB,
        the (B, P, 2) deformed anchors and the (B, S, S, 2) backward map (grid_sample units)."""
        b, s, fs = expression.shape[0], self.size, self.flow_size
        pts = self.landmarks(expression, head, gaze)
        disp = (pts - self.points).permute(1, 0, 2).reshape(-1, 2 * b)  # (P, B*2)
        # grid units; made contiguous once, as the subtractions below are 10x slower on strided views
        flow = self._interpolate(disp).view(fs * fs, b, 2).transpose(0, 1).contiguous().view(b, fs, fs, 2)
        # Backward map: the source pixel that lands on p is p - d(q) with q = p - d(p).
        # (torch.rsub(x, grid) is grid - x; the broadcasting "-" is 5x slower here.)
        flow_there = F.grid_sample(
            flow.permute(0, 3, 1, 2), torch.rsub(flow, self.flow_grid), align_corners=False
        )  # (B, 2, F, F)
        if fs != s:  # (B, 2, F, F) -> (B, 2, S, S)
            flow_there = F.interpolate(flow_there, size=(s, s), mode="bilinear", align_corners=False)
        grid = torch.rsub(flow_there.permute(0, 2, 3, 1).contiguous(), self.grid)
        rgb = F.grid_sample(
            self.source.expand(b, -1, -1, -1), grid, align_corners=False, padding_mode="border"
        )
        return rgb, pts, grid

    def _mouth(
        self, rgb: torch.Tensor, pts: torch.Tensor, expression: torch.Tensor, grid: torch.Tensor
    ) -> torch.Tensor:
        """Fill the opening between the lips (see mouth.py); nothing to do while they touch."""
        y0, y1, x0, x1 = self.mouth_box
        parted = mouth_opening(self.mouth_pixels, pts)
        if self.skip_idle_layers:
            moving = parted[0].gt(1e-3).any(1)  # (B,) frames whose lips part
            if not bool(moving.any()):
                return rgb
            if not bool(moving.all()):  # the other frames' mouths stay as warped: skip their work
                keep = moving.nonzero()[:, 0]
                rgb[keep, :, y0:y1, x0:x1] = self._fill(
                    rgb[keep, :, y0:y1, x0:x1], pts[keep], expression[keep], grid[keep, y0:y1, x0:x1]
                )
                return rgb
        rgb[:, :, y0:y1, x0:x1] = self._fill(
            rgb[:, :, y0:y1, x0:x1], pts, expression, grid[:, y0:y1, x0:x1], parted
        )
        return rgb

    def _fill(
        self,
        box: torch.Tensor,
        pts: torch.Tensor,
        expression: torch.Tensor,
        grid: torch.Tensor,
        parted: tuple | None = None,
    ) -> torch.Tensor:
        """The warped mouth box (B, 3, h, w) with its opening drawn; ``grid`` (B, h, w, 2) is the
        box's part of the backward map, ``parted`` mouth_opening's answer for ``pts`` if known."""
        mask, o, along = mouth_opening(self.mouth_pixels, pts) if parted is None else parted
        b, _, h, w = box.shape
        own = F.grid_sample(self.own_mouth.expand(b, -1, -1, -1), grid, align_corners=False)
        if self.learned is not None:
            return self.learned(box, pts, expression, mask.view(b, 1, h, w), own)[0]
        region = box.reshape(b, 3, -1)  # (B, 3, M)
        own = own.reshape(b, 1, -1)  # 1 where the photo's own mouth interior lands
        inside = mouth_interior(o, along, expression, self.lip_rgb, self.iod).permute(0, 2, 1)
        interior = own * region + (1.0 - own) * inside
        return (region + mask[:, None] * (interior - region)).view(b, 3, h, w)

    def _blink(self, rgb: torch.Tensor, pts: torch.Tensor, expression: torch.Tensor) -> torch.Tensor:
        """Slide the upper lids down over the eyes (see eyelids.py)."""
        closing = torch.stack([blink_amount(expression, self.neutral, side) for side, _, _ in EYES])
        if self.skip_idle_layers and not bool(closing.gt(0).any()):
            return rgb  # no lid moves in this batch: most frames of speech
        sizes = [(y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in self.eye_boxes]
        sources = eyelid_sources(list(self.eye_pixels.split(sizes)), pts, expression, self.neutral)
        grid = ((sources + 0.5) * (2.0 / self.size) - 1.0)[:, None]  # (B, 1, M, 2)
        lids = F.grid_sample(rgb, grid, align_corners=False, padding_mode="border")[:, :, 0]  # (B, 3, M)
        for (y0, y1, x0, x1), part in zip(self.eye_boxes, lids.split(sizes, dim=2), strict=True):
            rgb[:, :, y0:y1, x0:x1] = part.reshape(rgb.shape[0], 3, y1 - y0, x1 - x0)
        return rgb

    def _interpolate(self, disp: torch.Tensor) -> torch.Tensor:
        """(P, C) anchor values -> (H*W, C) per-pixel values."""
        if self.sparse:
            return self.interp @ disp
        v, w = self.vertices, self.weights
        return (
            F.embedding(v[0], disp) * w[0] + F.embedding(v[1], disp) * w[1] + F.embedding(v[2], disp) * w[2]
        )

    @torch.no_grad()
    def render(
        self, expression: np.ndarray, head: np.ndarray | None = None, gaze: np.ndarray | None = None
    ) -> np.ndarray:
        """Numpy in, (B, S, S, 3) uint8 RGB out (no autograd)."""
        e = torch.as_tensor(expression, dtype=torch.float32, device=self.basis.device).reshape(
            -1, EXPRESSION_DIM
        )
        n = e.shape[0]
        h = torch.zeros(n, 3) if head is None else torch.as_tensor(head, dtype=torch.float32).reshape(n, 3)
        g = torch.zeros(n, 2) if gaze is None else torch.as_tensor(gaze, dtype=torch.float32).reshape(n, 2)
        out = self(e, h.to(e.device), g.to(e.device))
        return (out.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
