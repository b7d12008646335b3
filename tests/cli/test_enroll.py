"""``avatar enroll``: one line saying what was enrolled, a cache hit the second time."""

import pytest

from avatar.errors import ImageError


def test_enroll_then_cache_hit(cli, grace):
    out = cli("enroll", grace)
    assert out.startswith("enrolled grace_hopper from grace_hopper.jpg") and out.count("\n") == 1
    out = cli("enroll", grace)
    assert out.startswith("enrolled grace_hopper (cache hit") and out.count("\n") == 1
    assert cli("enroll", grace, "--name", "Admiral", "-q") == ""
    assert "admiral" in cli("avatars")


def test_enroll_errors_are_avatar_errors(cli, tmp_path):
    with pytest.raises(ImageError, match="not found"):
        cli("enroll", tmp_path / "missing.png")
