import ctypes.util
import shutil

import pytest

from avatar.config import load_config

# What the factory runs: libespeak-ng for every language, flite and festival for English.
MISSING = [
    name
    for name, found in (
        ("libespeak-ng1", ctypes.util.find_library("espeak-ng")),
        ("flite", shutil.which("flite")),
        ("festival", shutil.which("text2wave")),
    )
    if not found
]
needs_tts = pytest.mark.skipif(
    bool(MISSING), reason=f"needs the TTS engines (apt-get install {' '.join(MISSING)})"
)
needs_espeak = pytest.mark.skipif(
    ctypes.util.find_library("espeak-ng") is None, reason="needs libespeak-ng (apt-get install libespeak-ng1)"
)

SEED = 40  # utterance 0 is espeak-ng Latin-American Spanish (a validation voice), utterance 1 flite English
HOURS = 0.003  # 10.8 s: two utterances


@pytest.fixture(scope="session")
def cfg():
    return load_config(env={})


@pytest.fixture(scope="session")
def dataset(tmp_path_factory, cfg):
    """A tiny data set, made once per session in one process."""
    from avatar.data import synth

    if MISSING:
        pytest.skip(f"needs the TTS engines (apt-get install {' '.join(MISSING)})")
    folder = tmp_path_factory.mktemp("data") / "set"
    synth(HOURS, folder, SEED, jobs=1, progress=False, cfg=cfg)
    return folder
