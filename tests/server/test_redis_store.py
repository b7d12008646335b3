"""The avatar stores behind one contract, and the Redis one against a real redis-server: atomic
replace and delete (no bundle left without a name, no name without its bundle), the in-process
cache, damaged bundles, an unreachable or silent Redis (a quick StoreUnavailableError), a restart."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avatar.errors import AvatarError
from avatar.portrait import Avatar
from avatar.portrait.bundle import FORMAT_VERSION
from avatar.portrait.store import BuiltinAvatarError, UnknownAvatarError
from avatar.server.local import free_port
from avatar.store import LocalStore, StoreUnavailableError, blob
from avatar.store.cache import AvatarCache

TIMEOUT_S = 0.5


def _fake(name: str, seed: int) -> Avatar:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    meta = {"format": FORMAT_VERSION, "name": name, "source": f"{name}-{seed}.jpg", "sha256": f"{seed:064x}"}
    return Avatar(name, image, rng.random((478, 3), dtype=np.float32) * 512, meta)


def _redis_store(url: str, cache: int = 4):
    from avatar.store.redis_store import RedisStore

    return RedisStore(url, TIMEOUT_S, cache)


@pytest.fixture
def redis_url(redis_server):
    """The module's Redis, emptied for each test."""
    import redis

    with redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return redis_server.url


@pytest.fixture
def raw(redis_url):
    import redis

    with redis.Redis.from_url(redis_url) as client:
        yield client


def _consistent(raw) -> dict[str, str]:
    """name -> id, after checking every name's bundle and meta exist and every bundle has a name."""
    names = {k.decode(): v.decode() for k, v in raw.hgetall("avatar:names").items()}
    bundles = {k.decode().rsplit(":", 1)[1] for k in raw.keys("avatar:bundle:*")}
    metas = {k.decode().rsplit(":", 1)[1] for k in raw.keys("avatar:meta:*")}
    assert bundles == metas == set(names.values()), (names, bundles, metas)
    return names


@pytest.fixture
def photos(tmp_path) -> dict[str, Path]:
    import matplotlib
    from skimage import data

    astronaut = tmp_path / "Eileen Collins.jpg"
    Image.fromarray(data.astronaut()).resize((400, 400)).save(astronaut)
    grace = tmp_path / "grace.jpg"
    grace.write_bytes((Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").read_bytes())
    return {"astronaut": astronaut, "grace": grace}


@pytest.fixture(params=["local", "redis"])
def store(request, tmp_path, monkeypatch):
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path / "home"))
    if request.param == "local":
        return LocalStore()
    return _redis_store(request.getfixturevalue("redis_url"))


def test_both_stores_keep_one_contract(store, photos):
    enrolled = store.enroll(photos["astronaut"])
    assert enrolled.name == "eileen_collins" and enrolled.meta["source"] == "Eileen Collins.jpg"
    assert store.enroll(photos["astronaut"]).meta["enrolled"] == enrolled.meta["enrolled"]  # not again
    mine = store.enroll(photos["grace"], "me", source="upload.jpg")
    rows = store.list()
    assert [(r["name"], r["builtin"]) for r in rows] == [
        ("astronaut", True),
        ("eileen_collins", False),
        ("me", False),
    ]
    assert rows[2]["source"] == "upload.jpg" and rows[2]["mouth_open"] == mine.meta["mouth_open"]
    np.testing.assert_array_equal(store.load("ME").image, mine.image)
    np.testing.assert_array_equal(store.load("me").landmarks, mine.landmarks)
    replaced = store.enroll(photos["astronaut"], "me")  # another photo under the name
    assert store.load("me").meta["sha256"] == replaced.meta["sha256"] != mine.meta["sha256"]
    store.remove("me")
    with pytest.raises(UnknownAvatarError, match=r"unknown avatar 'me'.*eileen_collins"):
        store.load("me")
    with pytest.raises(UnknownAvatarError):
        store.remove("me")
    with pytest.raises(BuiltinAvatarError):
        store.remove("astronaut")
    with pytest.raises(AvatarError, match="invalid avatar name"):
        store.load("../etc")
    with pytest.raises(AvatarError, match="built-in"):
        store.enroll(photos["grace"], "astronaut")
    assert store.load("astronaut").name == "astronaut"
    assert store.status()["kind"] == store.kind


def test_replace_and_delete_leave_no_orphan(redis_url, raw):
    store = _redis_store(redis_url)
    first = store.save(_fake("me", 1))
    second = store.save(_fake("me", 2))
    assert first != second and _consistent(raw) == {"me": second}  # the first bundle went with it
    assert store.save(_fake("me", 2)) == second  # the same bytes, the same id
    store.save(_fake("you", 3))
    store.remove("me")
    assert _consistent(raw) == {"you": blob.content_id(blob.pack(_fake("you", 3)))}
    assert store.list()[1]["source"] == "you-3.jpg"


def test_another_process_reads_it_and_the_cache_spares_the_fetch(redis_url, raw):
    _redis_store(redis_url).save(_fake("me", 1))
    reader = _redis_store(redis_url, cache=1)
    fetched = []
    get = reader._get
    reader._get = lambda **kw: fetched.append(1) or get(**kw)
    first = reader.load("me")
    np.testing.assert_array_equal(first.image, _fake("me", 1).image)
    assert reader.load("me") is first and len(fetched) == 1  # the name looked up, the bundle not fetched
    _redis_store(redis_url).save(_fake("me", 2))  # replaced by another process
    assert reader.load("me").meta["source"] == "me-2.jpg" and len(fetched) == 2
    _redis_store(redis_url).remove("me")
    with pytest.raises(UnknownAvatarError):  # the cached bundle is not served once the name is gone
        reader.load("me")


def test_cache_is_bounded_least_recently_used():
    cache = AvatarCache(2)
    a, b, c = (_fake(n, i) for i, n in enumerate("abc"))
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a
    cache.put("c", c)  # b was the least recently used
    assert cache.get("b") is None and cache.get("a") is a and cache.get("c") is c and len(cache) == 2
    off = AvatarCache(0)
    off.put("a", a)
    assert off.get("a") is None


def test_damaged_or_evicted_bundles_are_reported(redis_url, raw):
    ident = _redis_store(redis_url).save(_fake("me", 1))
    raw.set(f"avatar:bundle:{ident}", b"AVATAR-BUNDLE\n\x00\x00\x00\x02{}")
    with pytest.raises(AvatarError, match="another version"):
        _redis_store(redis_url).load("me")
    raw.set(f"avatar:bundle:{ident}", blob.pack(_fake("me", 1))[:-10])
    with pytest.raises(AvatarError, match=r"damaged in the store \(truncated"):
        _redis_store(redis_url).load("me")
    raw.delete(f"avatar:bundle:{ident}")
    with pytest.raises(AvatarError, match="noeviction"):
        _redis_store(redis_url).load("me")
    with pytest.raises(AvatarError, match="not a bundle"):
        blob.unpack(b"PNG", "me")


def test_unreachable_redis_is_a_quick_error_and_the_builtin_needs_none():
    store = _redis_store(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    start = time.monotonic()
    with pytest.raises(StoreUnavailableError, match=r"unreachable, could not list the avatars: .*refused"):
        store.list()
    assert time.monotonic() - start < 1.0
    assert store.status()["reachable"] is False and "refused" in store.status()["error"]
    for call in (lambda: store.load("me"), lambda: store.remove("me")):
        with pytest.raises(StoreUnavailableError):
            call()
    assert store.load("astronaut").name == "astronaut"


def test_a_silent_redis_times_out():
    """A peer that accepts connections and never answers (a hung Redis, a black-holed route)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        accepted = []
        threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
        store = _redis_store(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
        start = time.monotonic()
        with pytest.raises(StoreUnavailableError, match=r"unreachable.*[Tt]imeout"):
            store.load("me")
        assert time.monotonic() - start < 2 * TIMEOUT_S + 1.0  # one try and one retry, each bounded


def test_the_password_is_never_shown():
    store = _redis_store(f"redis://user:s3cret@127.0.0.1:{free_port()}/0")
    with pytest.raises(StoreUnavailableError) as caught:
        store.list()
    assert "s3cret" not in str(caught.value) and "user:***@127.0.0.1" in str(caught.value)
    assert "s3cret" not in str(store.status())


def test_a_restarted_redis_is_used_again(redis_server, redis_url):
    store = _redis_store(redis_url)
    store.save(_fake("me", 1))
    redis_server.stop()
    try:
        with pytest.raises(StoreUnavailableError):
            store.load("me")
    finally:
        redis_server.start()
    with pytest.raises(UnknownAvatarError):  # nothing was saved: a fresh Redis has no avatars
        store.load("me")
    store.save(_fake("me", 2))  # on the pooled connections a restart dropped: they reconnect
    assert store.load("me").meta["source"] == "me-2.jpg" and store.status()["reachable"] is True
