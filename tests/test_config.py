import shutil

import pytest

from avatar.config import default_config_dir, load_config
from avatar.errors import ConfigError


def test_defaults_carry_the_seed_keys():
    cfg = load_config(env={})
    assert cfg.model.speech_encoder == "wav2vec2"
    assert cfg.model.expression_model == "transformer"
    assert cfg.model.motion_model == "mlp"
    assert cfg.model.renderer == "neural"
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


def test_missing_yaml_key_is_rejected(tmp_path):
    shutil.copy(default_config_dir() / "inference.yaml", tmp_path / "inference.yaml")
    text = (default_config_dir() / "model.yaml").read_text()
    (tmp_path / "model.yaml").write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("fps"))
    )
    with pytest.raises(ConfigError, match=r"model\.yaml: fps"):
        load_config(config_dir=tmp_path, env={})


def test_broken_yaml_is_a_config_error(tmp_path):
    (tmp_path / "model.yaml").write_text("fps: [30\n")
    shutil.copy(default_config_dir() / "inference.yaml", tmp_path / "inference.yaml")
    with pytest.raises(ConfigError, match=r"model\.yaml"):
        load_config(config_dir=tmp_path, env={})
