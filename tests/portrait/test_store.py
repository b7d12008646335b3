"""Names, listing, removal, atomic writes, and avatar_home."""

from pathlib import Path

import numpy as np
import pytest

from avatar.errors import AvatarError
from avatar.portrait import avatar_home, enroll, framed_photo, list_avatars, load_avatar, remove_avatar
from avatar.portrait import bundle as bundle_module
from avatar.portrait.store import sanitize_name


def test_avatar_home(monkeypatch, home):
    assert avatar_home() == home
    monkeypatch.delenv("AVATAR_HOME")
    assert avatar_home() == Path.home() / ".cache" / "avatar"


@pytest.mark.parametrize(
    ("stem", "name"),
    [
        ("Grace Hopper", "grace_hopper"),
        ("IMG_0042 (1)", "img_0042_1"),
        ("--x--", "x"),
        ("Élodie été", "elodie_ete"),
        ("…", ""),
    ],
)
def test_sanitize_name(stem, name):
    assert sanitize_name(stem) == name


def test_name_from_file_stem(grace, tmp_path):
    path = tmp_path / "Admiral Grace (1959).JPG"
    path.write_bytes(grace.read_bytes())
    assert enroll(path).name == "admiral_grace_1959"
    unnamed = tmp_path / "….jpg"
    unnamed.write_bytes(grace.read_bytes())
    assert enroll(unnamed).name.startswith("avatar_")


@pytest.mark.parametrize("bad", ["../etc", "a b", "", "x" * 65, "-x"])
def test_invalid_names(grace, bad):
    with pytest.raises(AvatarError, match="invalid avatar name"):
        enroll(grace, name=bad)
    with pytest.raises(AvatarError, match="invalid avatar name"):
        load_avatar(bad)


def test_astronaut_name_is_reserved(grace):
    with pytest.raises(AvatarError, match="built-in"):
        enroll(grace, name="astronaut")
    with pytest.raises(AvatarError, match="cannot be removed"):
        remove_avatar("astronaut")


def test_list_and_remove_round_trip(grace, astronaut_png):
    rows = list_avatars()
    assert [(r["name"], r["builtin"], r["enrolled"]) for r in rows] == [("astronaut", True, None)]
    enroll(grace)
    enroll(astronaut_png)
    rows = list_avatars()
    assert [r["name"] for r in rows] == ["astronaut", "eileen", "grace_hopper"]
    grace_row = rows[2]
    assert grace_row["source"] == "grace_hopper.jpg" and grace_row["enrolled"][:4].isdigit()
    assert grace_row["mouth_open"] < 0.03 and not grace_row["builtin"]

    remove_avatar("grace_hopper")
    assert [r["name"] for r in list_avatars()] == ["astronaut", "eileen"]
    with pytest.raises(AvatarError, match=r"unknown avatar 'grace_hopper' \(known: astronaut, eileen\)"):
        load_avatar("grace_hopper")
    with pytest.raises(AvatarError, match="unknown avatar"):
        remove_avatar("grace_hopper")


def test_damaged_bundle_is_reported_and_re_enrolled(grace, home):
    enroll(grace)
    (home / "avatars" / "grace_hopper" / "landmarks.npy").write_bytes(b"junk")
    with pytest.raises(AvatarError, match="damaged"):
        load_avatar("grace_hopper")
    assert enroll(grace).landmarks.shape == (478, 3)  # same photo: rebuilt, not a cache hit
    assert load_avatar("grace_hopper").landmarks.shape == (478, 3)


def test_crash_while_writing_leaves_the_old_bundle(grace, astronaut_png, home, monkeypatch):
    old = enroll(grace, name="me")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patch, pytest.raises(OSError, match="disk full"):
        patch.setattr(bundle_module.np, "save", crash)
        enroll(astronaut_png, name="me")
    assert sorted(p.name for p in (home / "avatars").iterdir()) == ["me"]  # no temporary leftovers
    np.testing.assert_array_equal(load_avatar("me").image, old.image)


def test_a_framed_photo_is_cached_by_content_never_listed_and_bounded(
    grace, astronaut_png, home, monkeypatch
):
    from avatar.portrait import store

    photo = grace.with_name("photo.jpg")
    photo.write_bytes(grace.read_bytes())
    framed = framed_photo(photo)
    assert framed.landmarks.shape == (478, 3) and framed.meta["source"] == "photo"
    assert [r["name"] for r in list_avatars()] == ["astronaut"]  # nobody's avatar
    monkeypatch.setattr(store, "build_avatar", lambda *a: pytest.fail("framed again"))
    assert np.array_equal(framed_photo(photo).image, framed.image)  # the same bytes: from the cache
    monkeypatch.undo()
    monkeypatch.setenv("AVATAR_HOME", str(home))
    monkeypatch.setattr(store, "PHOTO_CACHE", 1)
    framed_photo(astronaut_png)
    assert len(list((home / "photos").iterdir())) == 1  # the older photo swept
