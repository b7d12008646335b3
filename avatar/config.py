"""One typed config, loaded from ``configs/model.yaml`` and ``configs/inference.yaml``.

The YAML files hold every value; the pydantic models below hold the schema (types, ranges,
allowed words) and nothing else, so the two cannot drift apart. Values can be overridden by
environment variables (``AVATAR_DEVICE=cuda``, ``AVATAR_PHONETIC__LEAD_MS=40``) and then by
command-line overrides (``{"phonetic.lead_ms": 40}``), in that order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .controls import Controls
from .errors import ConfigError

ENV_PREFIX = "AVATAR_"
# A Redis URL (which may carry a password) set apart from the files: it picks the shared avatar store.
REDIS_URL_ENV = "AVATAR_REDIS_URL"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelConfig(_Strict):
    """What the pipeline is built to (``configs/model.yaml``): the video frame rate. The
    networks' architecture lives in their checkpoints (avatar/models.py); the sample rate is
    fixed (avatar.audio.SAMPLE_RATE)."""

    fps: int = Field(ge=1, le=120)


class AudioConfig(_Strict):
    target_rms_dbfs: float = Field(ge=-60.0, le=0.0)
    peak_limit: float = Field(gt=0.0, le=1.0)
    min_duration_s: float = Field(gt=0.0)
    max_duration_s: float = Field(gt=0.0)


class VadConfig(_Strict):
    threshold: float = Field(gt=0.0, lt=1.0)
    min_speech_ms: int = Field(ge=0)
    min_silence_ms: int = Field(ge=0)
    pad_ms: int = Field(ge=0)


class PhoneticConfig(_Strict):
    lead_ms: float = Field(ge=-200.0, le=200.0)
    anticipation_ms: float = Field(gt=0.0, le=500.0)
    carryover_ms: float = Field(gt=0.0, le=500.0)
    pause_close_ms: float = Field(ge=0.0)
    strength: float = Field(ge=0.0, le=2.0)
    max_segment_s: float = Field(ge=5.0, le=300.0)


class GateConfig(_Strict):
    enabled: bool
    open_ms: float = Field(ge=0.0, le=500.0)
    close_ms: float = Field(ge=0.0, le=500.0)


class FilterBand(_Strict):
    """One channel family's temporal filter (avatar/motion/filters.py)."""

    cutoff_hz: float = Field(gt=0.0, le=60.0)  # offline zero-phase low-pass, -3 dB point
    min_cutoff_hz: float = Field(gt=0.0, le=60.0)  # streaming one-euro: cutoff when still
    beta: float = Field(ge=0.0, le=100.0)  # streaming one-euro: cutoff rise per unit/s of speed


class FilterConfig(_Strict):
    """Temporal filtering: what counts as a closure, blink or saccade, and one band per family."""

    enabled: bool
    d_cutoff_hz: float = Field(gt=0.0, le=60.0)
    seal_threshold: float = Field(gt=0.0, le=1.0)
    closed_openness: float = Field(ge=0.0, le=0.5)
    blink_threshold: float = Field(gt=0.0, le=1.0)
    saccade_deg_s: float = Field(gt=0.0, le=2000.0)
    mouth: FilterBand
    lip_seal: FilterBand
    blink: FilterBand
    eyes: FilterBand
    brows_face: FilterBand
    head: FilterBand
    gaze: FilterBand


class ControlsConfig(Controls, _Strict):
    """The user's controls; the schema is avatar/controls.py (shared with the CLI and the API)."""


class ServerConfig(_Strict):
    host: str
    port: int = Field(ge=1, le=65535)
    workers: int = Field(ge=1, le=64)
    queue: int = Field(ge=0, le=1024)
    retry_after_s: int = Field(ge=1, le=3600)
    timeout_s: float = Field(gt=0.0, le=3600.0)
    max_upload_mb: float = Field(gt=0.0, le=2048.0)
    max_audio_s: float = Field(gt=0.0, le=3600.0)
    max_image_megapixels: float = Field(gt=0.0, le=40.0)
    cors_origins: list[str]
    threads: int = Field(ge=0, le=256)
    max_streams: int = Field(ge=0, le=256)
    header_timeout_s: float = Field(gt=0.0, le=600.0)
    avatar_store: Literal["local", "redis"]  # avatar/store: this machine's folder, or shared by replicas
    redis_url: str
    redis_timeout_s: float = Field(gt=0.0, le=60.0)
    avatar_cache: int = Field(ge=0, le=1024)

    @model_validator(mode="after")
    def _redis_needs_a_url(self) -> ServerConfig:
        if self.avatar_store == "redis" and not self.redis_url.startswith(REDIS_SCHEMES):
            raise ValueError(
                f"avatar_store: redis needs redis_url ({' or '.join(REDIS_SCHEMES)}...), "
                f"or set {REDIS_URL_ENV}"
            )
        try:
            urlsplit(self.redis_url).port  # noqa: B018 (read for the ValueError a bad port raises)
        except ValueError as exc:
            raise ValueError(f"redis_url: {exc}") from None
        return self


class RenderConfig(_Strict):
    mouth: Literal["learned", "procedural"]  # the opening's inside: the network, or rules
    mouth_model: str | None  # the learned mouth's checkpoint (avatar train-mouth); None: the shipped one


class InferenceConfig(_Strict):
    """Run-time settings (``configs/inference.yaml``)."""

    device: Literal["cpu", "cuda", "auto"]
    backend: Literal["torch", "onnx"]
    precision: Literal["fp32", "fp16", "int8"]
    batch_size: int = Field(ge=1, le=4096)
    lipsync: Literal["phonetic", "neural"]
    audio: AudioConfig
    vad: VadConfig
    phonetic: PhoneticConfig
    gate: GateConfig
    controls: ControlsConfig
    server: ServerConfig
    filter: FilterConfig
    render: RenderConfig

    @field_validator("precision")
    @classmethod
    def _precision_fits(cls, value: str, info: ValidationInfo) -> str:
        backend, device = info.data.get("backend"), info.data.get("device")
        if value == "int8" and backend != "onnx":
            raise ValueError("int8 runs on backend: onnx (onnxruntime's quantized MatMuls)")
        if value == "fp16" and backend != "torch":
            raise ValueError("fp16 runs on backend: torch")
        if value == "fp16" and device == "cpu":
            raise ValueError("fp16 needs device: cuda (or auto with a GPU); CPUs run fp32 or int8")
        return value


class Config(_Strict):
    """Both files together: ``cfg.model.fps``, ``cfg.inference.phonetic.lead_ms``."""

    model: ModelConfig
    inference: InferenceConfig


_SECTIONS: dict[str, type[_Strict]] = {"model": ModelConfig, "inference": InferenceConfig}


def default_config_dir() -> Path:
    """The folder holding the shipped ``model.yaml`` and ``inference.yaml``."""
    return Path(str(resources.files("avatar.configs")))


def load_config(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Load and validate the config.

    ``overrides`` maps dotted keys (``"device"``, ``"phonetic.lead_ms"``, ``"model.fps"``) to
    values; strings are parsed as YAML scalars so ``"40"`` becomes 40. ``env`` defaults to
    ``os.environ``. Raises ConfigError naming the offending key.
    """
    folder = Path(config_dir) if config_dir is not None else default_config_dir()
    raw = {name: _read_yaml(folder / f"{name}.yaml") for name in _SECTIONS}

    env = os.environ if env is None else env
    for var, value in env.items():
        if var.startswith(ENV_PREFIX):
            key = var[len(ENV_PREFIX) :].lower().replace("__", ".")
            if _section_of(raw, key, strict=False):
                _apply(raw, key, value, source=f"environment variable {var}")
    if env.get(REDIS_URL_ENV):  # set as it is, not parsed as YAML: a URL is no scalar to guess at
        server = raw["inference"].get("server")
        if isinstance(server, dict):
            server.update(avatar_store="redis", redis_url=env[REDIS_URL_ENV])
    for key, value in (overrides or {}).items():
        _apply(raw, key, value, source="override")
    return _validated(raw)


def with_overrides(cfg: Config, overrides: Mapping[str, Any]) -> Config:
    """``cfg`` with dotted-key ``overrides`` applied on top (as load_config applies them on the
    files): what is not overridden keeps ``cfg``'s value. Raises ConfigError naming the key."""
    if not overrides:
        return cfg
    raw = cfg.model_dump()
    for key, value in overrides.items():
        _apply(raw, key, value, source="override")
    return _validated(raw)


def _validated(raw: dict[str, dict[str, Any]]) -> Config:
    try:
        return Config(**{name: _SECTIONS[name](**raw[name]) for name in _SECTIONS})
    except ValidationError as exc:
        section = next(n for n in _SECTIONS if exc.title == _SECTIONS[n].__name__)
        raise ConfigError(_first_error(f"{section}.yaml", exc)) from None


def _first_error(where: str, exc: ValidationError) -> str:
    """One line for the first thing pydantic found wrong: where, the key (none for a check of
    the whole section) and the reason."""
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"])
    return f"{where}: {key + ': ' if key else ''}{err['msg'].removeprefix('Value error, ')}"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    return data


def _section_of(raw: dict[str, dict[str, Any]], key: str, *, strict: bool = True) -> str | None:
    """Which file a dotted key belongs to (``model.fps`` or bare ``fps``)."""
    head = key.split(".")[0]
    if head in _SECTIONS:
        return head
    for name, data in raw.items():
        if head in data:
            return name
    if strict:
        raise ConfigError(f"unknown config key: {key}")
    return None


def _apply(raw: dict[str, dict[str, Any]], key: str, value: Any, *, source: str) -> None:
    section = _section_of(raw, key)
    parts = key.split(".")
    if parts[0] == section:
        parts = parts[1:]
    if not parts:
        raise ConfigError(f"{source}: {key} needs a sub-key")
    _apply_to(raw[section], ".".join(parts), value, source=source, shown=key)


def _apply_to(node: dict[str, Any], key: str, value: Any, *, source: str, shown: str | None = None) -> None:
    """Set dotted ``key`` inside ``node``; it must already exist (unknown keys are errors)."""
    shown = shown or key
    parts = key.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            raise ConfigError(f"unknown config key: {shown} ({source})")
        node = node[part]
    if parts[-1] not in node:
        raise ConfigError(f"unknown config key: {shown} ({source})")
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"{shown}: cannot parse value {value!r} ({source})") from None
    node[parts[-1]] = value


class RealSourceConfig(_Strict):
    """One folder of real clips labelled by ``avatar data capture`` (avatar/neural/real_clips.py)."""

    dir: str
    weight: float = Field(gt=0.0)  # share of the real crops of a batch drawn from this folder
    speaker: str | None = None  # every clip is this one person; None: each clip its own, but see groups
    groups: dict[str, list[str]] = {}  # person -> clips: the same person in several clips
    dev: list[str] = []  # clips held out of training (whole people, checked)
    pooled_offset: bool = False  # one audio/video offset for the folder (one recording set-up)
    # each person's share of the folder's crops goes as (their seconds) ** person_balance: 1 by
    # length, 0 every person alike, between: two long clips do not drown a dozen short ones
    person_balance: float = Field(1.0, ge=0.0, le=1.0)
    # phone labels for the phone head, so it hears real speech too: pocketsphinx's phones, aligned
    # to the clip's line in ``transcripts`` (TSV: file<TAB>sentence, matched on the file's stem)
    # where there is one, recognised from the sound otherwise
    phones: bool = False
    transcripts: str | None = None


class TrainDataConfig(_Strict):
    dir: str  # a folder written by `avatar data synth`
    crop_s: float = Field(gt=0.5, le=60.0)  # training windows; whole utterances are used if shorter
    real: list[RealSourceConfig] = []  # real talking faces (captured targets) beside the synthetic data
    real_share: float = Field(0.0, ge=0.0, le=1.0)  # share of each batch's crops taken from them
    # share of the real crops heard through a random room and recording chain (data/augment.py):
    # GRID is one dry studio, and the people it must follow speak in rooms, over phones, in noise
    real_augment: float = Field(0.0, ge=0.0, le=1.0)


class TrainOptimConfig(_Strict):
    steps: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    lr: float = Field(gt=0.0)
    weight_decay: float = Field(ge=0.0)
    warmup_steps: int = Field(ge=0)
    phone_loss_weight: float = Field(ge=0.0)
    velocity_loss_weight: float = Field(ge=0.0)
    shape_loss_weight: float = Field(0.0, ge=0.0)  # L1 on the mouth's aperture and width (real_clips)
    # 1 - Pearson r of the inner-lip aperture against the target's, per crop: what the
    # development figures measure, blind to how wide a person opens (the scale is a control)
    aperture_r_loss_weight: float = Field(0.0, ge=0.0)
    seed: int
    threads: int = Field(ge=0)  # 0: torch's default
    eval_every: int = Field(ge=1)
    eval_clips: int = Field(0, ge=0)  # held-out synthetic utterances evaluated (evenly spread); 0: all
    # parts of the network left as ``init`` had them: fine-tuning on a few minutes of real faces
    # can keep the speech encoder the hours of synthetic voices taught
    frozen: list[Literal["encoder", "expression"]] = []
    # Channels trained with binary cross-entropy instead of L1: sparse events such as lipSeal
    # (on in 5 % of frames), whose L1 optimum, the median, is 0 wherever the network is unsure.
    event_channels: list[str] = []

    @field_validator("event_channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        from .expression.channels import CHANNEL_INDEX

        for name in value:
            if name not in CHANNEL_INDEX:
                raise ValueError(f"unknown channel {name!r}")
        return value


class TrainConfig(_Strict):
    """A training recipe (``configs/train*.yaml``): data, network size, optimisation, output."""

    data: TrainDataConfig
    model: dict[str, dict[str, Any]]  # LipSyncDims overrides: {"encoder": {...}, "expression": {...}}
    optim: TrainOptimConfig
    out: str  # checkpoint path
    half: bool  # store float16 weights (half the size: what ships in the package)
    init: str | None = None  # start from this checkpoint's weights (fine-tuning), else random


_T = TypeVar("_T", bound=BaseModel)


class MotionTrainConfig(_Strict):
    """The motion network's recipe (``configs/train_motion.yaml``)."""

    data_dir: str  # a folder written by `avatar data synth`
    hours: float = Field(gt=0.0, le=100.0)  # of it to string into conversations
    steps: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    window_s: float = Field(gt=1.0, le=120.0)
    lr: float = Field(gt=0.0)
    hidden: int = Field(ge=4, le=4096)
    seed: int
    out: str


class MouthTrainConfig(_Strict):
    """The learned mouth's recipe (``configs/train_mouth.yaml``)."""

    data: list[str] = Field(min_length=1)  # folders written by `avatar data mouth`
    # each folder's share of the clips drawn (None: every clip by the square root of its frames,
    # so a folder of many short clips of one person outweighs a few long ones of many people)
    data_share: list[float] | None = None
    val: list[str] = []  # clips (file stems) held out of training and scored every eval_every steps
    model: dict[str, Any] = {}  # MouthDims overrides
    steps: int = Field(ge=1)
    clips_per_step: int = Field(ge=1, le=64)
    frames_per_clip: int = Field(ge=1, le=256)
    lr: float = Field(gt=0.0)
    ssim_weight: float = Field(ge=0.0)
    gradient_weight: float = Field(ge=0.0)
    adversarial_weight: float = Field(default=0.0, ge=0.0)  # the patch critic's term; 0: no critic
    colour_jitter: float = Field(ge=0.0, le=0.5)  # per-channel gain range, photo and frame alike
    # lips drawn against: the real frame's, the capture's as rendered, or either by a coin per clip
    geometry: Literal["real", "rendered", "mixed"]
    eval_every: int = Field(ge=1)
    seed: int
    threads: int = Field(ge=0)  # 0: torch's default
    out: str
    half: bool

    @model_validator(mode="after")
    def _shares(self) -> MouthTrainConfig:
        share = self.data_share
        if share is not None and (len(share) != len(self.data) or min(share) <= 0):
            raise ValueError(f"data_share needs one share > 0 per data folder ({len(self.data)}): {share}")
        return self


def load_train_config(
    path: str | Path, overrides: Mapping[str, Any] | None = None, schema: type[_T] = TrainConfig
) -> _T:
    """Load and validate a training recipe (TrainConfig, or ``schema``); ``overrides`` are dotted
    keys as for load_config."""
    raw = {"train": _read_yaml(Path(path))}
    for key, value in (overrides or {}).items():
        _apply_to(raw["train"], key, value, source="override")
    try:
        return schema(**raw["train"])
    except ValidationError as exc:
        raise ConfigError(_first_error(Path(path).name, exc)) from None
