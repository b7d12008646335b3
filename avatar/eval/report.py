"""A lip-sync evaluation as one self-contained HTML page, and the summary block of its results.

``write_report(results, folder)`` writes ``folder/report.html``: figures are PNGs embedded as
data URIs and the CSS is inline, so the file opens offline and can be attached to an issue as is.
``summarize(clips, methods)`` computes the results' ``summary`` block from the per-clip metrics.
``page(title, body)`` is the HTML shell and style, shared with the self-reenactment page
(avatar/eval/reenact_report.py).

The results dict (the evaluation also saves it as JSON)::

    {"kind": "lipsync", "created": ISO time, "lipsync": "phonetic", "avatar": "astronaut",
     "methods": [method, ...],                      # order of display
     "labels": {method: "human-readable label"},
     "clips": [{"name", "video", "transcript" (or null), "fps",
                "times": [s, ...],                  # the real video's frame times
                "real": [opening or null, ...],     # real mouth opening per frame; null = no face
                "curves": {method: [value or null, ...]},            # same length as times
                "metrics": {method: {"r0", "best_lag", "r_best"}},  # lag in frames, + = method lags
                "frames_without_face": int}, ...],
     "summary": {method: {"mean_r0", "mean_r_best", "mean_best_lag"}}}

A method may be missing from a clip (no transcript, say) and any metric may be NaN or null;
the page shows "–" for those.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .metrics import MAX_LAG

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 100  # small figures keep a page of a few clips at a few hundred KB
PALETTE = 128  # colours per PNG
REAL_COLOR = "#111111"
# matplotlib's tab10 without its grey, so method colours stay the same in every figure
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")
DASH = "–"

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 1000px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
h3 { font-size: 15px; margin: 0 0 4px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.meta, .note, .path { color: #666; font-size: 12.5px; margin: 2px 0; }
.path { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e5e5e5; text-align: right; }
th { background: #f4f4f4; font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
td.best { background: #dff3e3; font-weight: 600; }
img { max-width: 100%; height: auto; display: block; margin: 6px 0; }
section.clip { margin: 18px 0; padding-top: 10px; border-top: 1px solid #eee; }
.transcript { font-style: italic; margin: 2px 0; }
.warn { background: #fff4e0; border-left: 3px solid #e8a33d; padding: 6px 10px; margin: 6px 0; }
"""


def _number(value: Any) -> float:
    """``value`` as a float; NaN for None, NaN, booleans and anything not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return math.nan
    return float(value)


def finite_mean(values: Iterable[Any]) -> float | None:
    """Mean of the finite values; None when there are none (None, unlike NaN, is valid JSON)."""
    finite = [v for v in map(_number, values) if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None


def summarize(
    clips: list[dict], methods: list[str], key: str = "metrics"
) -> dict[str, dict[str, float | None]]:
    """Per method, the mean over clips of r0, r_best and best_lag (of each clip's ``key``),
    ignoring NaN, null and absences. A mean no clip contributes to is None.
    """
    summary = {}
    for method in methods:
        metrics = [(clip.get(key) or {}).get(method) or {} for clip in clips]
        summary[method] = {
            "mean_r0": finite_mean(m.get("r0") for m in metrics),
            "mean_r_best": finite_mean(m.get("r_best") for m in metrics),
            "mean_best_lag": finite_mean(m.get("best_lag") for m in metrics),
        }
    return summary


def _fmt(value: Any, spec: str = ".2f") -> str:
    """``value`` formatted with ``spec``; a dash when it is missing or not finite."""
    x = _number(value)
    return format(x, spec) if math.isfinite(x) else DASH


def _curve(values: Sequence[Any] | None, n: int) -> np.ndarray:
    """A list with nulls as a float array of length ``n`` (NaN for null, cut or padded)."""
    out = np.full(n, np.nan)
    if values:
        got = np.array([_number(v) for v in values[:n]])
        out[: len(got)] = got
    return out


def _zscore(curve: np.ndarray, over: np.ndarray) -> np.ndarray:
    """``curve`` standardised with the mean and spread of its frames in the mask ``over``."""
    if over.sum() < 2:  # nothing to compare with: standardise over its own frames instead
        over = np.isfinite(curve)
    if not over.any():
        return curve
    mean, std = curve[over].mean(), curve[over].std()
    return (curve - mean) / std if std > 0 else curve - mean


def _plain(text: str) -> str:
    """``text`` as matplotlib draws it literally: ``$`` would start mathtext, ``_`` hides a legend entry."""
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _png(fig: Figure) -> str:
    """The figure as a base64 PNG data URI, in 128 colours.

    Flat plots lose nothing visible in a palette and the file gets about 2.7 times smaller.
    """
    from PIL import Image

    rendered, buf = io.BytesIO(), io.BytesIO()
    fig.savefig(rendered, format="png", dpi=DPI, bbox_inches="tight")
    with Image.open(rendered) as image:
        image.convert("RGB").quantize(colors=PALETTE).save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig: Figure, alt: str) -> str:
    return f'<img src="{_png(fig)}" alt="{html.escape(alt)}">'


def _time_axes(ax: Axes, ylabel: str) -> None:
    """The style of a curves-over-time plot: seconds along, ``ylabel`` up, a light grid, legend."""
    ax.set_xlabel("time (s)", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=8)
    ax.margins(x=0.01)
    ax.grid(alpha=0.25)
    _legend(ax)


def _legend(ax: Axes) -> None:
    # outside the axes on the right: the curves fill the plot and would hide under it
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, borderaxespad=0)


def _clip_figure(clip: dict, methods: list[str], labels: dict[str, str], colors: dict[str, str]) -> Figure:
    """Real mouth opening and each method's curve over time, z-scored so they share an axis."""
    from matplotlib.figure import Figure

    times = _curve(clip.get("times"), len(clip.get("times") or []))
    n = len(times)
    real = _curve(clip.get("real"), n)
    curves = clip.get("curves") or {}
    metrics = clip.get("metrics") or {}
    fig = Figure(figsize=(7.5, 2.2), dpi=DPI)
    ax = fig.add_subplot()
    # real first (top of the legend) but drawn above the others; NaN frames (no face) leave gaps
    ax.plot(times, _zscore(real, np.isfinite(real)), color=REAL_COLOR, lw=1.6, zorder=3, label="real mouth")
    for method in methods:
        if method not in curves:
            continue
        curve = _curve(curves[method], n)
        both = np.isfinite(real) & np.isfinite(curve)
        r0 = _fmt((metrics.get(method) or {}).get("r0"))
        label = f"{_plain(labels[method])} (r0 {r0})"
        ax.plot(times, _zscore(curve, both), color=colors[method], lw=1.0, label=label)
    _time_axes(ax, "z-score")
    return fig


def _r0_figure(
    clips: list[dict], methods: list[str], labels: dict[str, str], colors: dict[str, str]
) -> Figure:
    """Grouped bars: r at lag 0 per clip (groups) and method (bars); NaN leaves no bar."""
    from matplotlib.figure import Figure

    # wider for many clips, up to a page width beyond which the bars get thin instead
    fig = Figure(figsize=(min(12.0, max(7.0, 0.3 * len(clips) * max(1, len(methods)))), 2.4), dpi=DPI)
    ax = fig.add_subplot()
    x = np.arange(len(clips))
    width = 0.8 / max(1, len(methods))
    for i, method in enumerate(methods):
        r0 = np.array([_number(((c.get("metrics") or {}).get(method) or {}).get("r0")) for c in clips])
        ok = np.isfinite(r0)
        offset = (i - (len(methods) - 1) / 2) * width
        ax.bar(x[ok] + offset, r0[ok], width, color=colors[method], label=_plain(labels[method]))
    ax.axhline(0, color="#888", lw=0.8)
    ax.set_xticks(x, [_plain(str(c.get("name", ""))) for c in clips], fontsize=8, rotation=20, ha="right")
    ax.set_ylabel("r at lag 0", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.25)
    _legend(ax)
    return fig


def _lag_figure(
    clips: list[dict], methods: list[str], labels: dict[str, str], colors: dict[str, str]
) -> Figure:
    """Histogram of the best lag per method, one bin per integer lag in ±MAX_LAG (ends gather the rest)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 2.2), dpi=DPI)
    ax = fig.add_subplot()
    bins = np.arange(-MAX_LAG, MAX_LAG + 1)
    width = 0.8 / max(1, len(methods))
    for i, method in enumerate(methods):
        lags = np.array(
            [_number(((c.get("metrics") or {}).get(method) or {}).get("best_lag")) for c in clips]
        )
        lags = np.clip(np.round(lags[np.isfinite(lags)]), -MAX_LAG, MAX_LAG).astype(int)
        counts = np.bincount(lags + MAX_LAG, minlength=len(bins))
        offset = (i - (len(methods) - 1) / 2) * width
        ax.bar(bins + offset, counts, width, color=colors[method], label=_plain(labels[method]))
    ax.set_xticks(bins)
    ax.set_xlabel("best lag (frames; + = method lags the real mouth)", fontsize=8)
    ax.set_ylabel("clips", fontsize=8)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", alpha=0.25)
    _legend(ax)
    return fig


def _fps(clips: list[dict]) -> float:
    """The clips' frame rate (median, should they differ) to turn lags in frames into ms; NaN if unknown."""
    rates = [f for f in (_number(c.get("fps")) for c in clips) if math.isfinite(f) and f > 0]
    return float(np.median(rates)) if rates else math.nan


def _summary_table(summary: dict, methods: list[str], labels: dict[str, str], fps: float) -> str:
    """Method rows; the method with the highest mean r at lag 0 is highlighted."""
    rows = {m: summary.get(m) or {} for m in methods}
    r0 = {m: _number(rows[m].get("mean_r0")) for m in methods}
    finite = [m for m in methods if math.isfinite(r0[m])]
    best = max(finite, key=lambda m: r0[m]) if finite else None
    fps_text = f" at {fps:g} fps" if math.isfinite(fps) else ""
    out = [
        "<table class=summary><thead><tr><th>method</th><th>mean r at lag 0</th><th>mean best r</th>"
        f"<th>mean best lag (frames)</th><th>mean best lag (ms{fps_text})</th></tr></thead><tbody>"
    ]
    for m in methods:
        lag = _number(rows[m].get("mean_best_lag"))
        cells = [
            html.escape(labels[m]),
            _fmt(r0[m]),
            _fmt(rows[m].get("mean_r_best")),
            _fmt(lag, "+.1f"),
            _fmt(lag * 1000.0 / fps, "+.0f"),
        ]
        td = "<td class=best>" if m == best else "<td>"
        out.append("<tr>" + "".join(f"{td}{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _clip_section(clip: dict, methods: list[str], labels: dict[str, str], colors: dict[str, str]) -> str:
    name = html.escape(str(clip.get("name", "")))
    transcript = clip.get("transcript")
    n = len(clip.get("times") or [])
    real = _curve(clip.get("real"), n)
    fps = _number(clip.get("fps"))
    missing = clip.get("frames_without_face")
    missing = int(np.isnan(real).sum()) if missing is None else missing
    parts = [f"<section class=clip><h3>{name}</h3>"]
    if transcript:
        parts.append(f"<p class=transcript>“{html.escape(str(transcript))}”</p>")
    else:
        parts.append("<p class=note>no transcript</p>")
    parts.append(f"<p class=path>{html.escape(str(clip.get('video', '')))}</p>")
    parts.append(
        f"<p class=note>{n} frames at {_fmt(fps, 'g')} fps; {html.escape(str(missing))} without a face</p>"
    )
    if np.isfinite(real).any():
        parts.append(_img(_clip_figure(clip, methods, labels, colors), f"mouth curves of {clip.get('name')}"))
    else:
        parts.append("<p class=warn>No face was found in any frame of this video: no real mouth curve.</p>")
    metrics = clip.get("metrics") or {}
    parts.append(
        "<table><thead><tr><th>method</th><th>r at lag 0</th><th>best r</th><th>best lag (frames)</th>"
        "</tr></thead><tbody>"
    )
    for m in methods:
        got = metrics.get(m) or {}
        cells = [
            html.escape(labels[m]),
            _fmt(got.get("r0")),
            _fmt(got.get("r_best")),
            _fmt(got.get("best_lag"), "+.0f"),
        ]
        parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("</tbody></table></section>")
    return "".join(parts)


def _methods(results: dict) -> list[str]:
    """The results' method order, else every method any clip or the summary mentions."""
    if results.get("methods"):
        return [str(m) for m in results["methods"]]
    seen: dict[str, None] = {}
    for clip in results.get("clips") or []:
        seen.update(dict.fromkeys(clip.get("metrics") or {}))
        seen.update(dict.fromkeys(clip.get("curves") or {}))
    seen.update(dict.fromkeys(results.get("summary") or {}))
    return list(seen)


def write_report(results: dict, folder: str | Path) -> Path:
    """Write ``folder/report.html`` (creating ``folder``) for the results dict; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clips = list(results.get("clips") or [])
    methods = _methods(results)
    labels = {m: str((results.get("labels") or {}).get(m, m)) for m in methods}
    colors = {m: COLORS[i % len(COLORS)] for i, m in enumerate(methods)}
    summary = results.get("summary") or summarize(clips, methods)
    fps = _fps(clips)
    with_face = sum(bool(np.isfinite(_curve(c.get("real"), len(c.get("times") or []))).any()) for c in clips)

    def esc(key: str) -> str:
        return html.escape(str(results.get(key, DASH)))

    title = (
        "Lip-sync evaluation" if results.get("kind", "lipsync") == "lipsync" else f"Evaluation: {esc('kind')}"
    )
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class=meta>created {esc('created')} · lip-sync {esc('lipsync')} · avatar {esc('avatar')} · "
        f"{len(clips)} clips, {with_face} with a face</p>",
        "<h2>Summary</h2>",
        _summary_table(summary, methods, labels, fps),
        "<p class=note>r: Pearson correlation between a method's mouth-opening curve and the real "
        "speaker's, per video frame. Best r: the highest r when the method is shifted by up to "
        f"±{MAX_LAG} frames; its lag is + when the method moves after the real mouth. Means are over "
        "the clips with a value; the highlighted row has the highest mean r at lag 0.</p>",
    ]
    if clips and methods:
        body += [
            "<h2>r at lag 0 per clip</h2>",
            _img(_r0_figure(clips, methods, labels, colors), "r at lag 0 per clip and method"),
            "<h2>Best lag</h2>",
            _img(_lag_figure(clips, methods, labels, colors), "histogram of best lags per method"),
        ]
    body.append("<h2>Clips</h2>")
    body += [_clip_section(c, methods, labels, colors) for c in clips] or ["<p class=note>No clips.</p>"]
    path = folder / "report.html"
    path.write_text(page(title, body), encoding="utf-8")
    return path


def page(title: str, body: list[str]) -> str:
    """A self-contained HTML page with the report style: ``body`` is its HTML fragments in order."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
