"""``avatar train-motion`` on a tiny synthetic data set: it trains, writes a loadable checkpoint."""

import numpy as np
import pytest
import torch

from avatar.cli import main
from avatar.models import motion_net


@pytest.mark.slow
@pytest.mark.needs_tts
def test_train_motion_writes_a_working_checkpoint(tmp_path, capsys):
    from avatar.data import synth

    synth(0.004, tmp_path / "data", 40, jobs=1, progress=False)
    out = tmp_path / "motion.pt"
    code = main(
        [
            "train-motion", "--config", "configs/train_motion.yaml",
            "--set", f"data_dir={tmp_path / 'data'}", "--set", "hours=0.01", "--set", "steps=20",
            "--set", "batch_size=2", "--set", "window_s=4", "--set", "hidden=16", "--set", f"out={out}",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "step 20/20" in err and "wrote" in err
    net = motion_net(out)
    features, noise = torch.rand(1, 90, net.dims.features), torch.randn(1, 90, net.dims.noise)
    assert np.isfinite(net(features, noise).detach().numpy()).all()


def test_train_motion_bad_recipe_is_one_line(tmp_path, capsys):
    code = main(["train-motion", "--config", "configs/train_motion.yaml", "--set", "steps=0"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and "steps" in lines[0]
