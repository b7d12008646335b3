"""A running app (models loaded) shared by the API tests, with small limits to test against."""

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from avatar.config import load_config
from avatar.server import create_app

FIXTURES = Path(__file__).parents[1] / "fixtures"
LIMITS = {
    "server.workers": 1,
    "server.queue": 2,
    "server.max_upload_mb": 2,
    "server.max_audio_s": 8,
    "server.max_image_megapixels": 1,
    "server.timeout_s": 120,
}


def wait_ready(client: TestClient, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while client.get("/health").status_code != 200:
        assert time.monotonic() < deadline, client.get("/health").json()
        time.sleep(0.2)


@pytest.fixture(scope="session")
def avatar_home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("avatar-home")
        mp.setenv("AVATAR_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def client(avatar_home):
    app = create_app(load_config(env={}, overrides=LIMITS), api_key="")
    with TestClient(app) as c:
        wait_ready(c)
        yield c


@pytest.fixture(scope="session")
def speech():
    return (FIXTURES / "pauses.wav").read_bytes()


@pytest.fixture(scope="session")
def long_speech(tmp_path_factory):
    """10 s of tone: over the 8 s test limit."""
    path = tmp_path_factory.mktemp("long") / "long.wav"
    t = np.arange(16000 * 10) / 16000
    sf.write(path, (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    return path.read_bytes()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A redis-server of the test module's own (skipped, saying why, where it is not installed)."""
    from avatar.server.local_redis import MISSING, LocalRedis, available

    if not available():
        pytest.skip(MISSING)
    pytest.importorskip("redis", reason="the redis client is a dependency: pip install -e .")
    server = LocalRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()
