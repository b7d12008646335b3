"""Fixtures for the audio tests; the files come from scripts/make_fixtures.py."""

import numpy as np
import pytest

from avatar.audio import load_audio

from .helpers import FIXTURES, PAUSE_SAMPLES


@pytest.fixture(scope="session")
def pauses() -> np.ndarray:
    return load_audio(FIXTURES / "pauses.wav")


@pytest.fixture(scope="session")
def speech(pauses: np.ndarray) -> np.ndarray:
    """The speech of pauses.wav without the silences around it."""
    return pauses[PAUSE_SAMPLES:-PAUSE_SAMPLES]
