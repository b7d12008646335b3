"""API-key auth, CORS, and the bounded job pool on its own."""

import asyncio
import threading

import pytest
from fastapi.testclient import TestClient

from avatar.config import load_config
from avatar.server import create_app
from avatar.server.pool import JobPool, JobTimeoutError, PoolFullError

from .conftest import LIMITS, wait_ready


@pytest.fixture(scope="module")
def locked(avatar_home):
    cfg = load_config(env={}, overrides={**LIMITS, "server.cors_origins": '["https://example.org"]'})
    with TestClient(create_app(cfg, api_key="s3cret")) as c:
        wait_ready(c)
        yield c


def test_api_key_guards_the_work_not_the_probes(locked, speech):
    files = {"audio": ("s.wav", speech, "audio/wav")}
    assert locked.get("/").status_code == 200 and locked.get("/health").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
        for reply in (
            locked.post("/generate", files=files, data={"format": "json"}, headers=headers),
            locked.get("/avatars", headers=headers),
            locked.get("/metrics", headers=headers),
        ):
            assert reply.status_code == 401 and reply.headers["www-authenticate"] == "Bearer"
            assert "API key" in reply.json()["detail"]
    good = {"Authorization": "Bearer s3cret"}
    assert locked.post("/generate", files=files, data={"format": "json"}, headers=good).status_code == 200
    assert locked.get("/avatars", headers=good).status_code == 200


def test_cors_allows_only_the_configured_origin(locked):
    ok = locked.options(
        "/generate", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    )
    assert ok.headers["access-control-allow-origin"] == "https://example.org"
    other = locked.get("/", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_pool_refuses_when_full_and_times_out():
    async def scenario():
        pool = JobPool(workers=1, queue=1, timeout_s=0.3)
        gate = threading.Event()
        first = asyncio.ensure_future(pool.run(gate.wait, 5))
        second = asyncio.ensure_future(pool.run(lambda: "second"))
        await asyncio.sleep(0.05)
        with pytest.raises(PoolFullError):
            await pool.run(lambda: "third")
        assert pool.state()["running"] == 1 and pool.state()["waiting"] == 1 and pool.rejected == 1
        with pytest.raises(JobTimeoutError):
            await first
        with pytest.raises(JobTimeoutError):
            await second  # never started: cancelled, its place freed
        assert pool.state()["waiting"] == 0 and pool.state()["running"] == 1  # the first still runs
        gate.set()
        await asyncio.sleep(0.05)
        assert pool.state()["running"] == 0 and await pool.run(lambda: 42) == 42
        pool.shutdown()

    asyncio.run(scenario())


@pytest.mark.parametrize("authorization", [None, b"Bearer wrong", b"Basic s3cret"])
def test_a_wrong_key_is_refused_before_the_body_is_read(locked, authorization):
    body_size, chunk = 1 << 20, 1 << 16  # under the 2 MB limit: only the key can refuse it
    read, sent = [], []

    async def receive():
        read.append(chunk)
        return {"type": "http.request", "body": b"\0" * chunk, "more_body": sum(read) < body_size}

    async def send(message):
        sent.append(message)

    headers = [
        (b"content-type", b"multipart/form-data; boundary=x"),
        (b"content-length", str(body_size).encode()),
    ] + ([(b"authorization", authorization)] if authorization else [])
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/generate", "raw_path": b"/generate", "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    asyncio.run(locked.app(scope, receive, send))
    assert sent[0]["status"] == 401 and (b"www-authenticate", b"Bearer") in sent[0]["headers"]
    assert b"API key" in sent[1]["body"]
    assert read == []  # not one byte of the body was taken
