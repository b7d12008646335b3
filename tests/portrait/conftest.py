"""Fixtures for the portrait tests: an isolated AVATAR_HOME per test, and public-domain portraits.

The portraits ship with the dependencies: the astronaut (Eileen Collins, NASA) with scikit-image
and Grace Hopper (US Navy) with matplotlib.
"""

import logging
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

GRACE_HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty AVATAR_HOME."""
    path = tmp_path / "home"
    monkeypatch.setenv("AVATAR_HOME", str(path))
    return path


@pytest.fixture
def avatar_log(monkeypatch, caplog):
    """caplog for the "avatar" logger, even after avatar.cli has stopped it propagating."""
    monkeypatch.setattr(logging.getLogger("avatar"), "propagate", True)
    caplog.set_level(logging.INFO, logger="avatar")
    return caplog


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()  # (512, 512, 3) uint8


@pytest.fixture(scope="session")
def grace_rgb() -> np.ndarray:
    with Image.open(GRACE_HOPPER) as img:
        return np.asarray(img.convert("RGB"))  # (600, 512, 3) uint8


@pytest.fixture
def grace(tmp_path) -> Path:
    """A copy of grace_hopper.jpg, so the file name (and the avatar name) is ours."""
    path = tmp_path / "grace_hopper.jpg"
    path.write_bytes(GRACE_HOPPER.read_bytes())
    return path


@pytest.fixture
def astronaut_png(tmp_path, astronaut) -> Path:
    path = tmp_path / "eileen.png"
    Image.fromarray(astronaut).save(path)
    return path
