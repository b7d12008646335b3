import shutil

import pytest

from avatar.config import default_config_dir, load_config
from avatar.errors import ConfigError


def test_defaults_carry_the_seed_keys():
    cfg = load_config(env={})
    assert cfg.model.fps == 30
    assert cfg.inference.device in ("cpu", "cuda", "auto")
    assert cfg.inference.precision == "fp32"
    assert cfg.inference.batch_size >= 1


def test_environment_then_overrides():
    env = {"AVATAR_DEVICE": "auto", "AVATAR_PHONETIC__LEAD_MS": "40", "AVATAR_HOME": "/elsewhere"}
    cfg = load_config(env=env)
    assert cfg.inference.device == "auto"
    assert cfg.inference.phonetic.lead_ms == 40.0
    cfg = load_config({"phonetic.lead_ms": "10", "model.fps": 60}, env=env)
    assert cfg.inference.phonetic.lead_ms == 10.0  # the command line wins over the environment
    assert cfg.model.fps == 60


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"devcie": "cpu"}, "devcie"),
        ({"phonetic.lead": "1"}, "phonetic.lead"),
        ({"device": "tpu"}, "device"),
        ({"fps": "fast"}, "fps"),
        ({"batch_size": 0}, "batch_size"),
        ({"vad.threshold": 1.5}, "vad.threshold"),
        ({"phonetic": 3}, "phonetic"),
        ({"render.mouth": "neural"}, "render.mouth"),
    ],
)
def test_bad_keys_and_values_name_the_key(overrides, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(overrides, env={})


def test_bad_environment_value_names_the_key():
    with pytest.raises(ConfigError, match="device"):
        load_config(env={"AVATAR_DEVICE": "quantum"})


def test_unknown_yaml_key_is_rejected(tmp_path):
    for name in ("model.yaml", "inference.yaml"):
        shutil.copy(default_config_dir() / name, tmp_path / name)
    with open(tmp_path / "inference.yaml", "a") as f:
        f.write("\nturbo_mode: true\n")
    with pytest.raises(ConfigError, match="turbo_mode"):
        load_config(config_dir=tmp_path, env={})


def _without(name: str, key: str, folder) -> None:
    text = (default_config_dir() / name).read_text()
    (folder / name).write_text("\n".join(line for line in text.splitlines() if not line.startswith(key)))


def test_missing_yaml_key_is_rejected(tmp_path):
    shutil.copy(default_config_dir() / "model.yaml", tmp_path / "model.yaml")
    _without("inference.yaml", "batch_size", tmp_path)
    with pytest.raises(ConfigError, match=r"inference\.yaml: batch_size: Field required"):
        load_config(config_dir=tmp_path, env={})
    shutil.copy(default_config_dir() / "inference.yaml", tmp_path / "inference.yaml")
    _without("model.yaml", "fps", tmp_path)  # its only key: nothing left but comments
    with pytest.raises(ConfigError, match=r"model\.yaml: expected a mapping"):
        load_config(config_dir=tmp_path, env={})


def test_model_yaml_holds_only_what_is_read():
    assert set(load_config(env={}).model.model_dump()) == {"fps"}
    with pytest.raises(ConfigError, match=r"unknown config key: model\.sample_rate"):
        load_config({"model.sample_rate": 16000}, env={})


def test_broken_yaml_is_a_config_error(tmp_path):
    (tmp_path / "model.yaml").write_text("fps: [30\n")
    shutil.copy(default_config_dir() / "inference.yaml", tmp_path / "inference.yaml")
    with pytest.raises(ConfigError, match=r"model\.yaml"):
        load_config(config_dir=tmp_path, env={})


def test_the_avatar_store_is_local_unless_a_redis_url_is_given():
    assert load_config(env={}).inference.server.avatar_store == "local"
    server = load_config(env={"AVATAR_REDIS_URL": "redis://:pw@redis:6379/1"}).inference.server
    assert (server.avatar_store, server.redis_url) == ("redis", "redis://:pw@redis:6379/1")
    picked = load_config({"server.avatar_store": "redis", "server.redis_url": "redis://r:6379/0"}, env={})
    assert picked.inference.server.redis_url == "redis://r:6379/0"
    with pytest.raises(ConfigError, match=r"avatar_store: redis needs redis_url.*AVATAR_REDIS_URL"):
        load_config({"server.avatar_store": "redis"}, env={})
    with pytest.raises(ConfigError, match="redis_url: Port could not be cast"):
        load_config({"server.avatar_store": "redis", "server.redis_url": "redis://r:port/0"}, env={})
