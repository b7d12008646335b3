"""A self-reenactment run as an HTML page and a contact sheet, in the lip-sync report's style.

``write_reenact_report(results, pairs, folder)`` writes ``folder/report.html`` (the figures per
clip and their means, the clips that were skipped and why, each clip's real and rendered
aperture over time) and ``folder/contact_sheet.png`` (real beside rendered at each clip's
widest openings), for the results and frames ``avatar.eval.reenact.evaluate_reenact`` returns.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .reenact import METRICS, Pair
from .report import COLORS, DASH, DPI, REAL_COLOR, _curve, _fmt, _img, _time_axes, page

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SHEET = "contact_sheet.png"
TILE_H = 128  # px: each face on the sheet (the faces are cut at the render size, about 110 px)
GAP, PAIR_GAP, MARGIN, BAND = 2, 14, 8, 20  # px: real|rendered, between pairs, around, text bands
FONT, INK, PAPER = cv2.FONT_HERSHEY_SIMPLEX, (20, 20, 20), 255
HEADINGS = {
    "aperture_r": ("aperture r", ".3f"),
    "lip_nme": ("lip NME", ".4f"),
    "mouth_psnr": ("mouth PSNR (dB)", ".2f"),
    "mouth_ssim": ("mouth SSIM", ".3f"),
    "face_psnr": ("face PSNR (dB)", ".2f"),
    "face_ssim": ("face SSIM", ".3f"),
}


def _text(canvas: np.ndarray, text: str, x: int, y: int, scale: float = 0.42) -> None:
    cv2.putText(canvas, text, (x, y), FONT, scale, INK, 1, cv2.LINE_AA)


def _tile(face: np.ndarray) -> np.ndarray:
    height, width = face.shape[:2]
    return cv2.resize(face, (max(1, round(width * TILE_H / height)), TILE_H), interpolation=cv2.INTER_CUBIC)


def contact_sheet(clips: list[dict], pairs: dict[str, list[Pair]]) -> np.ndarray:
    """(H, W, 3) uint8: a row per clip with a pair per widest opening, real left, rendered right."""
    rows = []
    for clip in clips:
        shown = [(p, _tile(p.real), _tile(p.rendered)) for p in pairs.get(clip["name"], [])]
        width = sum(a.shape[1] + b.shape[1] + GAP for _, a, b in shown) + PAIR_GAP * max(len(shown) - 1, 0)
        row = np.full((BAND + TILE_H + BAND, max(width, 360), 3), PAPER, np.uint8)
        _text(row, f"{clip['name']}  aperture r {_fmt(clip.get('aperture_r'), '.3f')}", 0, 14, 0.45)
        x = 0
        for pair, real, rendered in shown:
            row[BAND : BAND + TILE_H, x : x + real.shape[1]] = real
            x2 = x + real.shape[1] + GAP
            row[BAND : BAND + TILE_H, x2 : x2 + rendered.shape[1]] = rendered
            _text(row, f"{pair.time:.2f} s  gap {pair.aperture:.3f}", x, BAND + TILE_H + 14, 0.38)
            x = x2 + rendered.shape[1] + PAIR_GAP
        if not shown:
            _text(row, "no frame with a measured aperture", 0, BAND + TILE_H // 2)
        rows.append(row)
    width = max([r.shape[1] for r in rows] + [360])
    sheet = [np.full((BAND + 6, width, 3), PAPER, np.uint8)]
    _text(sheet[0], "each pair: real (left), rendered (right), at the clip's widest real openings", 0, 15)
    for row in rows:
        padded = np.full((row.shape[0] + 6, width, 3), PAPER, np.uint8)
        padded[: row.shape[0], : row.shape[1]] = row
        sheet.append(padded)
    out = np.concatenate(sheet)
    return np.pad(out, ((MARGIN, MARGIN), (MARGIN, MARGIN), (0, 0)), constant_values=PAPER)


def _aperture_figure(clip: dict) -> Figure:
    """The real and the rendered inner-lip aperture over the clip's 30 fps frames."""
    from matplotlib.figure import Figure

    n = len(clip.get("real_aperture") or [])
    times = np.arange(n) / float(clip.get("fps") or 30)
    fig = Figure(figsize=(7.5, 2.0), dpi=DPI)
    ax = fig.add_subplot()
    ax.plot(times, _curve(clip.get("real_aperture"), n), color=REAL_COLOR, lw=1.6, label="real")
    ax.plot(times, _curve(clip.get("rendered_aperture"), n), color=COLORS[0], lw=1.1, label="rendered")
    _time_axes(ax, "inner-lip gap / eye dist.")
    return fig


def _table(results: dict) -> str:
    head = "".join(f"<th>{html.escape(HEADINGS[k][0])}</th>" for k in METRICS)
    out = [f"<table><thead><tr><th>clip</th>{head}<th>frames</th><th>seconds</th></tr></thead><tbody>"]
    for clip in results.get("clips") or []:
        cells = "".join(f"<td>{_fmt(clip.get(k), HEADINGS[k][1])}</td>" for k in METRICS)
        out.append(
            f"<tr><td>{html.escape(str(clip['name']))}</td>{cells}"
            f"<td>{clip.get('frames_compared', DASH)}</td><td>{_fmt(clip.get('seconds'), '.1f')}</td></tr>"
        )
    mean = results.get("mean") or {}
    cells = "".join(f"<td class=best>{_fmt(mean.get(k), HEADINGS[k][1])}</td>" for k in METRICS)
    out.append(f"<tr><td class=best>mean</td>{cells}<td></td><td></td></tr></tbody></table>")
    return "".join(out)


def write_reenact_report(results: dict, pairs: dict[str, list[Pair]], folder: str | Path) -> Path:
    """Write ``folder/report.html`` and ``folder/contact_sheet.png`` (creating ``folder``);
    returns the page's path."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clips = list(results.get("clips") or [])
    skipped = list(results.get("skipped") or [])
    Image.fromarray(contact_sheet(clips, pairs)).save(folder / SHEET, optimize=True)
    settings = ", ".join(f"{k}={v}" for k, v in (results.get("settings") or {}).items()) or "defaults"
    body = [
        "<h1>Self-reenactment</h1>",
        f"<p class=meta>created {html.escape(str(results.get('created', DASH)))} · rendered at "
        f"{html.escape(str(results.get('size', DASH)))} px · renderer settings {html.escape(settings)} · "
        f"clips: {len(clips)} evaluated, {len(skipped)} skipped</p>",
        "<h2>Figures</h2>",
        _table(results),
        "<p class=note>Each clip's neutral frame is enrolled as the avatar and driven with the clip's "
        "own capture; every rendered frame is compared with the real frame in the same aligned crop. "
        "Aperture r: Pearson r of the inner-lip gap over the eye distance, real vs rendered. Lip NME: "
        "mean distance of the 40 lip landmarks over the eye distance. PSNR and SSIM: over a box "
        "around the lips and over the face oval of the neutral frame, mean over frames.</p>",
    ]
    if skipped:
        items = "".join(
            f"<li><span class=path>{html.escape(s['video'])}</span>: {html.escape(s['error'])}</li>"
            for s in skipped
        )
        body.append(f"<div class=warn>Skipped:<ul>{items}</ul></div>")
    body += [
        "<h2>Widest openings</h2>",
        f'<img src="{SHEET}" alt="real and rendered at the widest openings">',
    ]
    body.append("<h2>Clips</h2>")
    for clip in clips:
        body.append(
            f"<section class=clip><h3>{html.escape(str(clip['name']))}</h3>"
            f"<p class=path>{html.escape(str(clip.get('video', '')))}</p>"
            f"<p class=note>{clip.get('frames_compared', DASH)} of {clip.get('frames', DASH)} frames at "
            f"{clip.get('fps', DASH)} fps compared; neutral: video frame {clip.get('neutral_frame', DASH)}"
            f"; {_fmt(clip.get('seconds'), '.1f')} s</p>"
            + _img(_aperture_figure(clip), f"aperture of {clip['name']}")
            + "</section>"
        )
    if not clips:
        body.append("<p class=note>No clips.</p>")
    path = folder / "report.html"
    path.write_text(page("Self-reenactment", body), encoding="utf-8")
    return path
