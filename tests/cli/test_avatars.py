"""``avatar avatars``: the table of avatars, and ``avatars rm NAME``."""

import pytest

from avatar.errors import AvatarError


def test_avatars_table_and_rm(cli, grace):
    cli("enroll", grace)
    lines = cli("avatars").splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "ENROLLED", "MOUTH_OPEN"]
    assert lines[1].split()[:2] == ["astronaut", "skimage.data.astronaut()"]
    assert lines[2].split()[:2] == ["grace_hopper", "grace_hopper.jpg"]
    assert cli("avatars", "rm", "grace_hopper") == "removed grace_hopper\n"
    assert len(cli("avatars").splitlines()) == 2
    with pytest.raises(AvatarError, match="cannot be removed"):
        cli("avatars", "rm", "astronaut")
    with pytest.raises(AvatarError, match="unknown avatar"):
        cli("avatars", "rm", "nobody")
