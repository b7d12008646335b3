"""``avatar data mouth`` and ``avatar train-mouth`` on a clip the renderer made (tests/fixtures),
with a tiny network: pairs are written and resumed, training lowers the loss, and the checkpoint
describes itself and drives the renderer through ``render.mouth_model``."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from avatar.cli import main
from avatar.config import MouthTrainConfig, load_config, load_train_config
from avatar.errors import ConfigError
from avatar.lipsync.visemes import viseme_target
from avatar.models import load_renderer, read_checkpoint
from avatar.portrait import default_avatar
from avatar.render.mouth_net import MouthNet
from avatar.render.train_mouth import draw_weights, evaluate, load_pairs, mouth_dims, train_mouth

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "capture" / "roundtrip.mp4"
RECIPE = Path(__file__).resolve().parents[2] / "configs" / "train_mouth.yaml"
TINY = {"grid_h": 16, "grid_w": 24, "width": [4, 8, 8]}


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    videos = tmp_path_factory.mktemp("videos")
    shutil.copy(FIXTURE, videos / "speaker.mp4")
    (videos / "notes.mp4").write_text("not a video")
    out = tmp_path_factory.mktemp("pairs")
    assert main(["data", "mouth", str(videos), "--out", str(out), "--stride", "2", "-q"]) == 0
    return out


def _recipe(pairs: Path, out: Path, steps: int) -> MouthTrainConfig:
    overrides = {"data": [str(pairs)], "val": [], "model": TINY, "steps": steps, "eval_every": steps,
                 "clips_per_step": 1, "frames_per_clip": 4, "out": str(out), "half": False}  # fmt: skip
    return load_train_config(RECIPE, overrides, schema=MouthTrainConfig)


@pytest.mark.slow
def test_pairs_are_written_once_and_bad_files_skipped(pairs, capsys):
    with np.load(pairs / "speaker.npz") as z:
        assert z["region"].shape == z["real"].shape and z["region"].dtype == np.uint8
        n = len(z["frames"])
        assert n >= 10 and z["pts"].shape == (n, 478, 2) and z["expression"].shape == (n, 64)
        assert z["image"].shape == (512, 512, 3)
    assert not (pairs / "notes.npz").exists()
    stamp = (pairs / "speaker.npz").stat().st_mtime_ns
    videos = Path(str(pairs).replace("pairs", "videos"))
    assert main(["data", "mouth", str(videos), "--out", str(pairs)]) == 0
    assert (pairs / "speaker.npz").stat().st_mtime_ns == stamp  # resumed: nothing redone
    assert "notes.mp4: skipped" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("adversarial", [0.0, 0.05], ids=["plain", "with-critic"])
def test_training_lowers_the_loss_and_the_checkpoint_drives_the_renderer(pairs, tmp_path, adversarial):
    cfg = _recipe(pairs, tmp_path / "mouth.pt", 40).model_copy(update={"adversarial_weight": adversarial})
    torch.manual_seed(cfg.seed)
    before = evaluate(load_pairs(pairs, MouthNet(mouth_dims(cfg.model))), cfg)
    train_mouth(cfg, log=lambda line: None)
    payload = read_checkpoint("mouth", tmp_path / "mouth.pt")
    assert payload["dims"]["grid_w"] == 24 and payload["history"][-1]["step"] == 40
    render_cfg = load_config({"render.mouth": "learned", "render.mouth_model": str(tmp_path / "mouth.pt")})
    renderer = load_renderer(default_avatar(), 256, render_cfg)
    net = renderer.learned.net
    after = evaluate(load_pairs(pairs, net), cfg)
    assert after < 0.9 * before
    assert renderer.render(viseme_target("aa", 0.6)[None]).shape == (1, 256, 256, 3)


def test_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["data", "mouth", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"avatar: error: not a folder: {tmp_path / 'nowhere'}"]


def _clips(*frames: int, prefix: str) -> list:
    return [SimpleNamespace(name=f"{prefix}{i}", region=np.zeros((n, 3, 2, 2))) for i, n in enumerate(frames)]


def test_clips_are_drawn_by_root_frames_and_folders_by_their_share():
    many, few = _clips(4, 4, 4, 4, prefix="grid"), _clips(16, 64, prefix="diverse")
    w = draw_weights([many, few], None)
    np.testing.assert_allclose(w, np.array([2, 2, 2, 2, 4, 8]) / 20)
    w = draw_weights([many, few], [1.0, 3.0])
    np.testing.assert_allclose(w, [1 / 16] * 4 + [0.25, 0.5])
    assert w[4:].sum() == pytest.approx(0.75)


@pytest.mark.parametrize("share", [[1.0], [1.0, 0.0]])
def test_a_bad_data_share_is_a_config_error(share):
    with pytest.raises(ConfigError, match="data_share needs one share > 0 per data folder"):
        load_train_config(RECIPE, {"data_share": share}, schema=MouthTrainConfig)
