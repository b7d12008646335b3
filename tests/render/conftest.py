import matplotlib.cbook
import pytest

from avatar.portrait import default_avatar, enroll
from avatar.render import Renderer


@pytest.fixture(scope="session")
def avatar_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("avatar_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVATAR_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def avatars(avatar_home):
    """The built-in astronaut (open mouth, teeth) and Grace Hopper (closed mouth)."""
    hopper = enroll(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), "hopper")
    return {"astronaut": default_avatar(), "hopper": hopper}


@pytest.fixture(scope="session")
def renderers(avatars):
    return {name: Renderer(a.image, a.landmarks, 256) for name, a in avatars.items()}
