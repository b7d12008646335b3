"""avatar.models: the shipped weights and their SHA-256, self-describing checkpoints, atomic saves,
and the configured backend."""

import numpy as np
import pytest
import torch

from avatar import models
from avatar.config import load_config
from avatar.errors import AvatarError
from avatar.motion.model import MotionDims, MotionNet
from avatar.motion.sampler import MotionModel
from avatar.neural.model import LipSyncNet


@pytest.mark.parametrize("kind", sorted(models.SHIPPED))
def test_shipped_weights_are_installed_and_match_their_sha256(kind):
    path, sha256 = models.shipped(kind)
    assert path.is_file() and models.sha256_of(path) == sha256 == models.SHIPPED[kind][1]
    assert models.checkpoint_path(kind) == (path, sha256)


def test_changed_shipped_weights_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "motion.pt"
    models.save_checkpoint(MotionNet(MotionDims(hidden=4)), path)
    monkeypatch.setattr(models, "shipped", lambda kind: (path, "0" * 64))
    with pytest.raises(AvatarError, match=r"motion checkpoint .* does not match its SHA-256"):
        models.motion_net()
    monkeypatch.setattr(models, "shipped", lambda kind: (path, models.sha256_of(path)))
    assert models.motion_net().dims.hidden == 4


def test_missing_weights_and_checkpoints_are_one_line(tmp_path, monkeypatch):
    with pytest.raises(AvatarError, match=r"lipsync checkpoint not found: .*nothing\.pt"):
        models.lipsync_net(tmp_path / "nothing.pt")
    monkeypatch.setattr(models, "shipped", lambda kind: None)
    with pytest.raises(AvatarError, match="shipped motion weights are not installed"):
        models.checkpoint_path("motion")


def test_a_checkpoint_rebuilds_from_its_own_dims(tmp_path):
    torch.manual_seed(0)
    net = MotionNet(MotionDims(past=5, future=2, hidden=8)).eval()
    path = tmp_path / "m.pt"
    digest = models.save_checkpoint(net, path, train={"steps": 3})
    assert digest == models.sha256_of(path)
    payload = models.read_checkpoint("motion", path)
    assert payload["dims"] == {"features": 7, "noise": 6, "past": 5, "future": 2, "hidden": 8, "dropout": 0.1}
    assert payload["train"] == {"steps": 3}
    again = models.motion_net(path)
    x, z = torch.rand(1, 20, 7), torch.randn(1, 20, 6)
    assert again.dims == net.dims and torch.equal(again(x, z), net(x, z))
    torch.save({"state_dict": net.state_dict()}, tmp_path / "bare.pt")
    with pytest.raises(AvatarError, match="not self-describing"):
        models.motion_net(tmp_path / "bare.pt")
    with pytest.raises(AvatarError, match=r"m\.pt is not a lipsync checkpoint"):
        models.lipsync_net(path)  # the motion network's
    with pytest.raises(AvatarError, match=r"m\.pt is not a mouth checkpoint"):
        models.mouth_net(path)


def test_a_mouth_checkpoint_rebuilds_from_its_own_dims(tmp_path):
    from avatar.render.mouth_net import MouthDims, MouthNet

    net = MouthNet(MouthDims(grid_h=8, grid_w=12, width=(4, 4, 8))).eval()
    models.save_checkpoint(net, tmp_path / "mouth.pt")
    again = models.mouth_net(tmp_path / "mouth.pt")
    x = torch.rand(2, net.dims.in_channels, 8, 12)
    assert again.dims == net.dims and torch.equal(again(x), net(x))


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    models.save_checkpoint(MotionNet(MotionDims(hidden=4)), path)
    before = path.read_bytes()

    def cut_short(obj, f):
        with open(f, "wb") as out:
            out.write(b"half a checkpo")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", cut_short)
    with pytest.raises(AvatarError, match=r"cannot write the checkpoint .*No space left"):
        models.save_checkpoint(MotionNet(MotionDims(hidden=8)), path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


def test_the_configured_backend_and_models():
    cfg = load_config(env={})
    assert isinstance(models.load_lipsync(cfg), LipSyncNet)
    motion = models.load_motion(cfg)
    assert isinstance(motion, MotionModel) and isinstance(motion.net, MotionNet)
    frames = motion(np.zeros(16000, np.float32), 30)
    assert frames.head.shape == (30, 3)
