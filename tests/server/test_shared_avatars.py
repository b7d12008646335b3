"""Two service processes sharing one Redis, as two replicas behind a Kubernetes Service: an avatar
enrolled on one is listed, generated from and deleted on the other; enrolling and deleting one
name from both at once never leaves a damaged avatar; Redis down is a quick 503 with a reason,
and the service recovers when Redis is back."""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import time
from pathlib import Path

import httpx
import pytest
import soundfile as sf
from PIL import Image

from avatar.server.local import local_server

from .conftest import FIXTURES

SETTINGS = {
    "server.workers": "2",
    "server.queue": "16",
    "server.retry_after_s": "1",
    "server.redis_timeout_s": "0.5",
}


@pytest.fixture(scope="module")
def services(redis_server):
    """Two `avatar serve` processes (own ports, own AVATAR_HOMEs) on the module's Redis."""
    env = {"AVATAR_REDIS_URL": redis_server.url}
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(local_server(SETTINGS, env=env)) for _ in range(2)]
        yield tuple(stack.enter_context(httpx.Client(base_url=s.url, timeout=60)) for s in servers)


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    import matplotlib
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((400, 400)).save(buf, format="JPEG")
    grace = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return {"astronaut": buf.getvalue(), "grace": grace.read_bytes()}


@pytest.fixture(scope="module")
def speech() -> bytes:
    """The first second of the speech fixture: a short video is all these tests need."""
    audio, rate = sf.read(FIXTURES / "pauses.wav")
    buf = io.BytesIO()
    sf.write(buf, audio[:rate], rate, format="WAV")
    return buf.getvalue()


def _enroll(client: httpx.Client, photo: bytes, name: str) -> httpx.Response:
    return client.post("/avatars", files={"image": ("photo.jpg", photo, "image/jpeg")}, data={"name": name})


def _generate(client: httpx.Client, speech: bytes, avatar: str | None) -> httpx.Response:
    data = {"format": "mp4", **({"avatar": avatar} if avatar else {})}
    return client.post("/generate", files={"audio": ("speech.wav", speech, "audio/wav")}, data=data)


def _names(client: httpx.Client) -> list[str]:
    reply = client.get("/avatars")
    assert reply.status_code == 200, reply.text
    return [a["id"] for a in reply.json()]


def test_enrolled_on_one_process_is_served_by_the_other(services, photos, speech):
    first, second = services
    made = _enroll(first, photos["astronaut"], "me")
    assert made.status_code == 201, made.text
    assert _names(second) == ["astronaut", "me"]
    video = _generate(second, speech, "me")
    assert video.status_code == 200, video.text
    assert video.headers["content-type"] == "video/mp4" and len(video.content) > 1000
    assert second.get("/health").json()["avatar_store"]["reachable"] is True
    assert second.delete("/avatars/me").status_code == 204
    gone = first.delete("/avatars/me")
    assert gone.status_code == 404 and "unknown avatar 'me'" in gone.json()["detail"]
    assert _generate(first, speech, "me").status_code == 404  # its cached copy is not served
    assert _names(first) == ["astronaut"]


def test_concurrent_enroll_and_delete_never_leave_a_damaged_avatar(services, photos, speech, redis_server):
    first, second = services
    calls = []
    for _ in range(6):  # each process puts its own photo under the name, deletes it, draws it
        calls += [
            ("enroll", first, photos["astronaut"]),
            ("enroll", second, photos["grace"]),
            ("delete", second, None),
            ("delete", first, None),
            ("generate", first, None),
            ("generate", second, None),
        ]

    def call(kind: str, client: httpx.Client, photo: bytes | None) -> tuple[str, int, str]:
        if kind == "enroll":
            reply = _enroll(client, photo, "race")
        elif kind == "delete":
            reply = client.delete("/avatars/race")
        else:
            reply = _generate(client, speech, "race")
        return kind, reply.status_code, reply.text[:200]

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda c: call(*c), calls))
    allowed = {"enroll": {201}, "delete": {204, 404}, "generate": {200, 404}}
    wrong = [a for a in answers if a[1] not in allowed[a[0]]]
    assert not wrong, wrong
    assert {code for kind, code, _ in answers if kind == "enroll"} == {201}

    import redis

    with redis.Redis.from_url(redis_server.url) as raw:
        names = {k.decode(): v.decode() for k, v in raw.hgetall("avatar:names").items()}
        bundles = {k.decode().rsplit(":", 1)[1] for k in raw.keys("avatar:bundle:*")}
        metas = {k.decode().rsplit(":", 1)[1] for k in raw.keys("avatar:meta:*")}
    assert bundles == metas == set(names.values())  # every bundle has its name and no name lacks one
    if "race" in names:  # whichever step came last, what is left is whole on both processes
        for client in services:
            assert _generate(client, speech, "race").status_code == 200
            assert "race" in _names(client)
        assert second.delete("/avatars/race").status_code == 204


def test_redis_down_is_a_quick_503_and_the_service_recovers(services, photos, speech, redis_server):
    first, second = services
    assert _enroll(first, photos["grace"], "kept").status_code == 201
    assert _generate(second, speech, "kept").status_code == 200  # now in the second's cache too
    redis_server.stop()
    try:
        start = time.monotonic()
        for reply in (
            first.get("/avatars"),
            _enroll(first, photos["astronaut"], "new"),
            second.delete("/avatars/kept"),
            _generate(second, speech, "kept"),  # the name cannot be looked up: never a stale copy
        ):
            assert reply.status_code == 503, reply.text
            assert reply.headers["retry-after"] == "1"
            assert "the avatar store (Redis at redis://127.0.0.1:" in reply.json()["detail"]
            assert "unreachable" in reply.json()["detail"]
        assert time.monotonic() - start < 10.0  # four answers, none waiting past the timeouts
        assert _generate(first, speech, None).status_code == 200  # the built-in avatar needs no store
        health = second.get("/health")
        assert health.status_code == 200 and health.json()["avatar_store"]["reachable"] is False
    finally:
        redis_server.start()
    assert _names(first) == ["astronaut"]  # back, empty: this Redis saves nothing
    assert _enroll(second, photos["astronaut"], "new").status_code == 201
    assert _generate(first, speech, "new").status_code == 200
    assert first.get("/health").json()["avatar_store"]["reachable"] is True
