"""A request's options apply on top of the server's configuration, never on the defaults."""

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from avatar.config import load_config, with_overrides
from avatar.errors import ConfigError
from avatar.expression.channels import CHANNEL_INDEX
from avatar.motion.controls import SCALED
from avatar.server import create_app

from .conftest import FIXTURES, LIMITS, wait_ready

SERVER = {"controls.expression_scale": 0, "controls.head_motion": 0.5, "phonetic.lead_ms": 40}


def test_request_options_keep_the_server_settings():
    base = load_config(env={}, overrides={**SERVER, "device": "cuda", "backend": "onnx", "server.workers": 3})
    cfg = with_overrides(base, {"controls.seed": 1})
    assert cfg.inference.controls.seed == 1
    assert cfg.inference.controls.expression_scale == 0 and cfg.inference.controls.head_motion == 0.5
    assert cfg.inference.device == "cuda" and cfg.inference.backend == "onnx"
    assert cfg.inference.phonetic.lead_ms == 40 and cfg.inference.server.workers == 3
    assert base.inference.controls.seed == 0  # the server's own configuration is left alone
    assert with_overrides(base, {}) is base


def test_bad_request_options_name_the_key():
    base = load_config(env={})
    with pytest.raises(ConfigError, match=r"controls\.head_motion"):
        with_overrides(base, {"controls.head_motion": 5})
    with pytest.raises(ConfigError, match=r"unknown config key: controls\.nope"):
        with_overrides(base, {"controls.nope": 1})


@pytest.fixture(scope="module")
def mouthless(avatar_home):
    """A service started with non-default settings: no mouth movement at all."""
    with TestClient(create_app(load_config(env={}, overrides={**LIMITS, **SERVER}), api_key="")) as c:
        wait_ready(c)
        yield c


def test_generate_with_options_keeps_the_servers_expression_scale(mouthless, speech):
    files = {"audio": ("speech.wav", speech, "audio/wav")}
    reply = mouthless.post("/generate", files=files, data={"format": "json", "seed": "1"})
    assert reply.status_code == 200, reply.text
    frames = np.array(reply.json()["frames"])  # (T, 64)
    assert frames.shape[0] > 60
    assert not frames[:, SCALED].any()  # expression_scale 0: the mouth never moves
    scaled = mouthless.post("/generate", files=files, data={"format": "json", "expression_scale": "1"})
    assert np.array(scaled.json()["frames"])[:, CHANNEL_INDEX["jawOpen"]].max() > 0.2  # it could


def test_stream_with_options_keeps_the_servers_expression_scale(mouthless):
    from .test_stream import _session

    pcm = sf.read(FIXTURES / "pauses.wav", dtype="int16")[0].astype("<i2").tobytes()
    start = {"type": "start", "format": "params", "options": {"seed": 1}}
    _, frames, _ = _session(mouthless, pcm, start, chunk=16000)
    expression = np.stack([f[3][:64] for f in frames])  # (T, 64)
    assert len(frames) > 60 and not expression[:, SCALED].any()
