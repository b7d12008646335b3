import base64
import json
import math
import re

import numpy as np
import pytest

from avatar.eval.report import summarize, write_report

METHODS = ["avatar", "phonetic_text", "envelope"]
LABELS = {
    "avatar": "avatar (rendered, end to end)",
    "phonetic_text": "phonetic path with transcript",
    "envelope": "audio volume envelope",
}


def _clip(name, seed, n=75, fps=25.0, face=True, transcript="bin blue at f two now"):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    real = 0.02 + 0.01 * np.sin(2 * np.pi * 2.5 * t) + 0.002 * rng.standard_normal(n)
    curves = {
        "avatar": 0.5 + 0.3 * np.sin(2 * np.pi * 2.5 * (t - 0.04)) + 0.1 * rng.standard_normal(n),
        "phonetic_text": 0.4 + 0.3 * np.sin(2 * np.pi * 2.5 * t) + 0.05 * rng.standard_normal(n),
        "envelope": 0.1 + 0.05 * np.abs(np.sin(2 * np.pi * 1.3 * t)) + 0.02 * rng.standard_normal(n),
    }
    real_list = [round(float(v), 5) for v in real] if face else [None] * n
    if face:
        real_list[10:14] = [None] * 4  # a few frames without a face: a gap in the plot
    return {
        "name": name,
        "video": f"/data/grid/{name}.mpg",
        "transcript": transcript,
        "fps": fps,
        "times": [round(float(v), 5) for v in t],
        "real": real_list,
        "curves": {k: [round(float(x), 5) for x in v] for k, v in curves.items()},
        "metrics": {},
        "frames_without_face": sum(v is None for v in real_list),
    }


def sample_results():
    """Three clips: an ordinary one, one with markup in its name and text, one without a face."""
    a = _clip("bbaf2n", 0)
    a["metrics"] = {
        "avatar": {"r0": 0.41, "best_lag": -1, "r_best": 0.45},
        "phonetic_text": {"r0": 0.62, "best_lag": 0, "r_best": 0.62},
        "envelope": {"r0": 0.10, "best_lag": 3, "r_best": 0.21},
    }
    b = _clip("<script>alert('x')</script>", 1, transcript="<b>bold</b> & co")
    b["video"] = "/data/<script>/clip.mpg"
    del b["curves"]["phonetic_text"]  # no transcript for this method's curve
    b["metrics"] = {
        "avatar": {"r0": 0.39, "best_lag": 0, "r_best": 0.47},
        "envelope": {"r0": float("nan"), "best_lag": float("nan"), "r_best": float("nan")},
    }
    c = _clip("noface", 2, face=False, transcript=None)
    nan = {"r0": float("nan"), "best_lag": float("nan"), "r_best": float("nan")}
    c["metrics"] = {m: dict(nan) for m in METHODS}
    clips = [a, b, c]
    return {
        "kind": "lipsync",
        "created": "2026-11-25T22:00:00Z",
        "lipsync": "phonetic",
        "avatar": "astronaut",
        "methods": METHODS,
        "labels": LABELS,
        "clips": clips,
        "summary": summarize(clips, METHODS),
    }


@pytest.fixture(scope="module")
def results():
    return sample_results()


@pytest.fixture(scope="module")
def page(results, tmp_path_factory):
    path = write_report(results, tmp_path_factory.mktemp("eval") / "run" / "nested")
    return path, path.read_text(encoding="utf-8")


def test_summarize_means_ignore_nan_none_and_absent():
    clips = [
        {"metrics": {"a": {"r0": 0.2, "r_best": 0.4, "best_lag": -1}, "b": {"r0": 0.5}}},
        {"metrics": {"a": {"r0": float("nan"), "r_best": 0.6, "best_lag": 2}}},
        {"metrics": {"a": {"r0": 0.4, "r_best": None, "best_lag": 0}, "b": {"r0": float("nan")}}},
        {},
    ]
    s = summarize(clips, ["a", "b", "c"])
    assert s["a"] == pytest.approx({"mean_r0": 0.3, "mean_r_best": 0.5, "mean_best_lag": 1 / 3})
    assert s["b"] == {"mean_r0": 0.5, "mean_r_best": None, "mean_best_lag": None}
    assert s["c"] == {"mean_r0": None, "mean_r_best": None, "mean_best_lag": None}
    json.dumps(s, allow_nan=False)  # strict JSON: no NaN in the summary


def test_report_is_one_self_contained_file(page):
    path, text = page
    assert path.name == "report.html" and path.is_file()
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"<(link|script)\b", text)
    srcs = re.findall(r'<img src="([^"]+)"', text)
    # 2 clips with a face + the r0 bar chart + the lag histogram; the clip without a face has no plot
    assert len(srcs) == text.count("<img") == 4
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size < 600_000


def test_text_from_results_is_escaped(page):
    _, text = page
    assert "<script>" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in text
    assert "/data/&lt;script&gt;/clip.mpg" in text


def test_summary_table_numbers(page, results):
    _, text = page
    table = re.search(r"<table class=summary>.*?</table>", text).group(0)
    s = results["summary"]
    assert s["avatar"]["mean_r0"] == pytest.approx(0.40)  # the NaN clip is ignored
    assert s["envelope"] == pytest.approx({"mean_r0": 0.10, "mean_r_best": 0.21, "mean_best_lag": 3.0})
    rows = {r[0]: r[1:] for r in re.findall(r"<tr><td[^>]*>(.*?)</td>" + r"<td[^>]*>(.*?)</td>" * 4, table)}
    # mean r0, mean best r, mean best lag in frames and in ms at 25 fps (1 frame = 40 ms)
    assert rows[LABELS["avatar"]] == ("0.40", "0.46", "-0.5", "-20")
    assert rows[LABELS["phonetic_text"]] == ("0.62", "0.62", "+0.0", "+0")
    assert rows[LABELS["envelope"]] == ("0.10", "0.21", "+3.0", "+120")
    best = re.search(r"<tr>(<td class=best>.*?)</tr>", table).group(1)
    assert LABELS["phonetic_text"] in best and best.count("class=best") == 5  # highest mean r0


def test_edge_cases_shown(page):
    _, text = page
    assert "No face was found in any frame" in text
    assert "–" in text  # NaN metrics
    assert "no transcript" in text
    assert text.count("<section class=clip>") == 3


def test_no_summary_no_clips_and_odd_labels(tmp_path):
    results = {"methods": ["m"], "labels": {"m": "$x_1$ cost_"}, "clips": []}
    text = write_report(results, tmp_path).read_text()
    assert "No clips." in text and "<img" not in text and "$x_1$ cost_" in text
    # a clip whose method is unknown to the summary and whose curves hold only nulls still renders
    clip = _clip("$odd_name", 3)
    clip["curves"]["m"] = [None] * len(clip["times"])
    clip["metrics"] = {"m": {"r0": None, "best_lag": 7, "r_best": math.inf}}
    text = write_report({**results, "clips": [clip], "summary": {}}, tmp_path).read_text()
    assert text.count("<img") == 3
