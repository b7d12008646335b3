import pytest

from avatar.config import load_config

SEED = 40  # utterance 0 is espeak-ng Latin-American Spanish (a validation voice), utterance 1 flite English
HOURS = 0.003  # 10.8 s: two utterances


@pytest.fixture(scope="session")
def cfg():
    return load_config(env={})


@pytest.fixture(scope="session")
def dataset(tmp_path_factory, cfg):
    """A tiny data set, made once per session in one process (for tests marked needs_tts)."""
    from avatar.data import synth

    folder = tmp_path_factory.mktemp("data") / "set"
    synth(HOURS, folder, SEED, jobs=1, progress=False, cfg=cfg)
    return folder
