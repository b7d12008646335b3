from pathlib import Path

import pytest

from avatar.config import load_config
from avatar.lipsync import PhoneticLipSync
from avatar.pipeline import prepare_audio

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="session")
def cfg():
    return load_config(env={})


@pytest.fixture(scope="session")
def clip(cfg):
    """name -> (cleaned 16 kHz audio, transcript) for the committed TTS fixtures."""
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = (
                prepare_audio(FIXTURES / f"{name}.wav", cfg),
                (FIXTURES / f"{name}.txt").read_text(),
            )
        return cache[name]

    return get


@pytest.fixture(scope="session")
def lipsync(cfg, clip):
    """(name, with_text) -> LipSync result, computed once per session."""
    cache = {}
    animate = PhoneticLipSync(cfg)

    def get(name: str, with_text: bool = True):
        if (name, with_text) not in cache:
            audio, text = clip(name)
            cache[name, with_text] = animate(audio, text if with_text else None)
        return cache[name, with_text]

    return get
