"""``avatar data mouth``: self-reenactment pairs that teach the learned mouth what real mouths show.

For each real clip: the face is tracked, its neutral (capture's most relaxed closed-mouth frame)
is aligned and enrolled as the avatar, and every ``stride``-th video frame is captured and
rendered with the procedural renderer's warp up to the mouth layer, head still. The real frame
is aligned by its own eye corners, so head motion and zoom drop out and the real mouth sits where
the rendered lips do. Frames whose rendered or real lips part by at least ``MIN_OPEN_PX`` are kept. One
file per clip, written atomically, so a rerun skips finished clips:

OUT/NAME.npz   (NAME: the clip's path under the folder, without its extension, as data capture)
               image (512, 512, 3) uint8 and landmarks (478, 3): the enrolled neutral, aligned;
               region and real (N, h, w, 3) uint8: the warped and the real mouth box at 256^2;
               pts (N, 478, 2): the deformed landmarks; real_pts (N, 478, 2): the real frame's,
               aligned alike; expression (N, 64); frames (N,) video frame indices; size (the
               render size)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import AvatarError
from . import files
from .capture import Clip

SIZE = 256  # px: the render size the pairs are made at (the network works in eye distances)
MIN_OPEN_PX = 12  # px of parted lips (rendered, at SIZE) for a frame to teach anything
BATCH = 16


def pair_clip(video: Path, stride: int = 1) -> dict[str, np.ndarray]:
    """The pairs of one clip (see the module docstring); AvatarError if it has no usable frame."""
    import torch

    from ..capture.core import solve_tracked, track
    from ..capture.neutral import neutral_index
    from ..eval.reenact import drive_expression
    from ..portrait.align import align_face, alignment_matrix, transform_landmarks, warp
    from ..render import Renderer
    from ..render.mouth import mouth_opening
    from ..video.reader import read_frames

    times, faces = track(video)
    neutral = neutral_index(faces)
    anim = solve_tracked(video, times, faces, neutral)
    frames = {i: rgb for i, (_, rgb) in enumerate(read_frames(video)) if i % stride == 0 or i == neutral}
    aligned = align_face(frames[neutral], faces[neutral])
    renderer = Renderer(aligned.image, aligned.landmarks, SIZE)
    y0, y1, x0, x1 = renderer.mouth_box
    grid_t = np.arange(anim.num_frames) / anim.fps
    driven = drive_expression(anim.expression, renderer.neutral.numpy())
    picked = [i for i in sorted(frames) if i % stride == 0 and faces[i] is not None and i < len(times)]
    expression = np.stack(
        [np.interp(times[picked], grid_t, driven[:, c]) for c in range(driven.shape[1])], 1
    ).astype(np.float32)
    out: dict[str, list] = {k: [] for k in ("region", "real", "pts", "real_pts", "expression", "frames")}
    with torch.no_grad():
        for lo in range(0, len(picked), BATCH):
            e = torch.from_numpy(expression[lo : lo + BATCH])
            zeros = torch.zeros(len(e), 3)
            rgb, pts, _ = renderer.warped(e, zeros, zeros[:, :2])
            for j, i in enumerate(picked[lo : lo + BATCH]):
                matrix = alignment_matrix(faces[i], SIZE)
                real_pts = torch.from_numpy(transform_landmarks(faces[i], matrix)[:, :2])
                both = torch.stack([pts[j, :478], real_pts])
                if float(mouth_opening(renderer.mouth_pixels, both)[0].sum(1).max()) < MIN_OPEN_PX:
                    continue  # neither the rendered nor the real lips part
                real = warp(frames[i], matrix, SIZE)[y0:y1, x0:x1]
                region = rgb[j, :, y0:y1, x0:x1].permute(1, 2, 0).numpy()
                out["region"].append(np.round(region.clip(0, 1) * 255).astype(np.uint8))
                out["real"].append(real)
                out["pts"].append(pts[j, :478].numpy().astype(np.float32))
                out["real_pts"].append(real_pts.numpy().astype(np.float32))
                out["expression"].append(expression[lo + j])
                out["frames"].append(i)
    if not out["frames"]:
        raise AvatarError(f"{video}: no frame where the lips part")
    arrays = {k: np.stack(v) for k, v in out.items()}
    arrays.update(image=aligned.image, landmarks=aligned.landmarks.astype(np.float32), size=np.int64(SIZE))
    return arrays


def _work(video: str, target: str, stride: int) -> tuple[str, int, str | None]:
    import torch

    torch.set_num_threads(1)
    try:
        arrays = pair_clip(Path(video), stride)
    except AvatarError as exc:
        return video, 0, str(exc)
    Path(target).parent.mkdir(parents=True, exist_ok=True)  # NAME may lie in a subfolder
    files.save_npz(Path(target), arrays)
    return video, len(arrays["frames"]), None


def build_pairs(
    videos: Sequence[Clip],
    out: Path,
    stride: int = 1,
    jobs: int = 1,
    progress: Callable[[int, int, str, int, str | None], None] | None = None,
) -> dict:
    """Write each video's pairs (``Clip.out``, under ``out``) if not done yet, as ``find_clips``
    lists them; returns counts (clips, frames, failed)."""
    from concurrent.futures import as_completed

    from .workers import worker_pool

    out.mkdir(parents=True, exist_ok=True)
    todo = [v for v in videos if not v.out.is_file()]
    done, failed, frames = len(videos) - len(todo), [], 0
    start = time.perf_counter()
    args = [(str(v.path), str(v.out), stride) for v in todo]
    with worker_pool(jobs) as (pool, running):
        if pool is None:
            results = (_work(*a) for a in args)
        else:
            running.update({pool.submit(_work, *a): a for a in args})
            results = (f.result() for f in as_completed(list(running)))
        for video, n, error in results:
            done += 1
            frames += n
            if error:
                failed.append({"video": video, "error": error})
            if progress is not None:
                progress(done, len(videos), video, n, error)
    summary = {"clips": len(videos), "new_frames": frames, "failed": failed,
               "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
    (out / "pairs.json").write_text(json.dumps(summary, indent=1))
    return summary
