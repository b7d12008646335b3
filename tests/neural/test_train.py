"""The tiny recipe trains in seconds on a small dataset made from the committed TTS fixtures."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from avatar.config import load_config, load_train_config
from avatar.errors import AvatarError, ConfigError
from avatar.lipsync import animate_phones
from avatar.lipsync.aligner import align
from avatar.lipsync.phones import ARPABET, SILENCE
from avatar.models import lipsync_net, read_checkpoint
from avatar.neural.real_clips import RealClip
from avatar.neural.train import _person_balanced, _weighted_pearson, load_dataset, train
from avatar.pipeline import prepare_audio

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PHONE_ID = {p: i for i, p in enumerate((*ARPABET, SILENCE))}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three utterances in the data factory's layout (two to train on, one held out)."""
    cfg = load_config(env={})
    folder = tmp_path_factory.mktemp("synth")
    (folder / "audio").mkdir()
    (folder / "labels").mkdir()
    lines = []
    for name, split in (("bilabial", "train"), ("espeak", "train"), ("pauses", "val")):
        audio = prepare_audio(FIXTURES / f"{name}.wav", cfg)
        phones = align(audio, (FIXTURES / f"{name}.txt").read_text())
        n50, n30 = len(audio) // 320, round(len(audio) * 30 / 16000)
        centers = (np.arange(n50) + 0.5) / 50
        phones50 = np.full(n50, PHONE_ID[SILENCE], np.int16)
        for p in phones:
            phones50[(centers >= p.start) & (centers < p.end)] = PHONE_ID[p.name]
        targets = animate_phones(phones, n30, 30, cfg.inference.phonetic).astype(np.float16)
        sf.write(folder / "audio" / f"{name}.flac", audio, 16000)
        np.savez(folder / "labels" / f"{name}.npz", phones50=phones50, targets30=targets)
        lines.append(json.dumps({"id": name, "split": split}))
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.slow
def test_tiny_recipe_learns_and_writes_a_checkpoint(dataset, tmp_path):
    cfg = load_train_config(
        ROOT / "configs" / "train_tiny.yaml", {"data.dir": str(dataset), "out": str(tmp_path / "tiny.pt")}
    )
    logs = []
    out = train(cfg, log=logs.append)
    meta = read_checkpoint("lipsync", out)
    assert meta["train"]["optim"]["steps"] == 60 and "jaw_r" in meta["metrics"]
    first = float(logs[0].split("loss ")[1].split()[0])
    last = float(logs[-2].split("loss ")[1].split()[0])
    assert last < first  # it learns
    assert meta["metrics"]["jaw_r"] > 0.0  # the held-out jaw already moves with the speech


def test_same_seed_same_weights(dataset, tmp_path):
    outs = []
    for k in range(2):
        cfg = load_train_config(
            ROOT / "configs" / "train_tiny.yaml",
            {
                "data.dir": str(dataset),
                "out": str(tmp_path / f"{k}.pt"),
                "optim.steps": 5,
                "optim.eval_every": 5,
            },
        )
        model = lipsync_net(train(cfg, log=lambda _: None))
        outs.append(np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_missing_data_is_a_clear_error(tmp_path):
    with pytest.raises(AvatarError, match="avatar data synth"):
        load_dataset(tmp_path / "nothing")
    shutil.rmtree(tmp_path)


def test_fine_tuning_starts_from_a_checkpoint_with_another_lookahead(dataset, tmp_path):
    tiny = ROOT / "configs" / "train_tiny.yaml"
    base = {"data.dir": str(dataset), "optim.steps": 3, "optim.eval_every": 3}
    start = train(load_train_config(tiny, {**base, "out": str(tmp_path / "a.pt")}), log=lambda _: None)
    expression = (
        "{in_dim: 32, dim: 32, layers: 1, heads: 2, ff: 64, pos_kernel: 4, pos_groups: 4, context: 6, "
    )
    expression += "lookahead: 0}"
    cfg = load_train_config(
        tiny,
        {
            **base,
            "out": str(tmp_path / "b.pt"),
            "init": str(start),
            "optim.lr": 1e-12,
            "model.expression": expression,
        },
    )
    tuned = lipsync_net(train(cfg, log=lambda _: None))
    before = lipsync_net(start)
    assert tuned.dims.expression.lookahead == 0 and before.dims.expression.lookahead == 2
    for (name, a), b in zip(before.state_dict().items(), tuned.state_dict().values(), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6, err_msg=name)  # lr ~0: the init's weights
    full = load_train_config(ROOT / "configs" / "train.yaml", {"data.dir": str(dataset), "init": str(start)})
    with pytest.raises(AvatarError, match="does not fit the recipe's network"):
        train(full, log=lambda _: None)


def test_event_channels_name_real_channels_and_train(dataset, tmp_path):
    tiny = ROOT / "configs" / "train_tiny.yaml"
    with pytest.raises(ConfigError, match=r"optim\.event_channels: .*unknown channel 'lipseal'"):
        load_train_config(tiny, {"optim.event_channels": "[lipseal]"})
    overrides = {
        "data.dir": str(dataset),
        "out": str(tmp_path / "e.pt"),
        "optim.steps": 3,
        "optim.eval_every": 3,
    }
    cfg = load_train_config(tiny, {**overrides, "optim.event_channels": "[lipSeal, plosiveRelease]"})
    assert cfg.optim.event_channels == ["lipSeal", "plosiveRelease"]
    logs = []
    train(cfg, log=logs.append)
    assert "step 3/3" in logs[0]


def test_an_interrupted_run_resumes_to_the_same_weights(dataset, tmp_path):
    tiny = ROOT / "configs" / "train_tiny.yaml"
    base = {"data.dir": str(dataset), "optim.steps": 6, "optim.eval_every": 3}
    whole = lipsync_net(
        train(load_train_config(tiny, {**base, "out": str(tmp_path / "a.pt")}), log=lambda _: None)
    )

    class StopError(Exception):
        pass

    def stop_after_first_save(line: str) -> None:
        if line.startswith("step 3/6"):
            raise StopError  # the run dies right after its first checkpoint

    cfg = load_train_config(tiny, {**base, "out": str(tmp_path / "b.pt")})
    with pytest.raises(StopError):
        train(cfg, log=stop_after_first_save)
    assert (tmp_path / "b.pt.resume").is_file()
    logs = []
    resumed = lipsync_net(train(cfg, log=logs.append))
    assert logs[0].startswith("resuming from step 3") and not (tmp_path / "b.pt.resume").exists()
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_person_balance_shares_crops_between_people_not_only_by_length():
    def clip(name: str, person: str, seconds: float) -> RealClip:
        return RealClip(name, "x", person, "train", 0, np.zeros(round(seconds * 16000)), None, None)

    clips = [clip("a", "A", 64), clip("b", "B", 4), clip("c", "B", 12), clip("d", "C", 16)]
    by_length, sqrt, alike = (_person_balanced(clips, e) for e in (1.0, 0.5, 0.0))
    assert np.allclose(by_length, [64 / 96, 4 / 96, 12 / 96, 16 / 96])
    assert np.allclose(alike, [1 / 3, 1 / 12, 1 / 4, 1 / 3])  # B's third split 1:3 by length
    assert np.allclose(sqrt, np.array([8, 1, 3, 4]) / 16) and all(
        np.isclose(p.sum(), 1) for p in (by_length, sqrt, alike)
    )


def test_a_frozen_encoder_keeps_the_init_weights_while_the_rest_learns(dataset, tmp_path):
    tiny = ROOT / "configs" / "train_tiny.yaml"
    base = {"data.dir": str(dataset), "optim.steps": 3, "optim.eval_every": 3}
    start = train(load_train_config(tiny, {**base, "out": str(tmp_path / "a.pt")}), log=lambda _: None)
    cfg = {**base, "out": str(tmp_path / "b.pt"), "init": str(start), "optim.frozen": "[encoder]"}
    tuned, before = lipsync_net(train(load_train_config(tiny, cfg), log=lambda _: None)), lipsync_net(start)
    for part, same in (("encoder", True), ("expression", False)):
        a, b = getattr(before, part).state_dict(), getattr(tuned, part).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a) == same, part
    with pytest.raises(AvatarError, match="nothing of the network is left to train"):
        train(load_train_config(tiny, {**cfg, "optim.frozen": "[encoder, expression]"}), log=lambda _: None)
    with pytest.raises(ConfigError, match=r"optim\.frozen"):
        load_train_config(tiny, {"optim.frozen": "[decoder]"})


def test_the_aperture_r_is_pearson_s_on_the_crops_whose_mouth_moves():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 50)), rng.standard_normal((3, 50))
    y[2] = 0.01  # a still mouth: no shape to follow
    w = np.ones((3, 50))
    w[1, 25:] = 0  # half the frames without a face
    r = _weighted_pearson(*(torch.from_numpy(a) for a in (x, y, w)))
    expected = (np.corrcoef(x[0], y[0])[0, 1] + np.corrcoef(x[1, :25], y[1, :25])[0, 1]) / 2
    assert r is not None and abs(r.item() - expected) < 1e-9
    assert _weighted_pearson(*(torch.from_numpy(a[2:]) for a in (x, y, w))) is None
