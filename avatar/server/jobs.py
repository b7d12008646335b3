"""The work behind the endpoints, run on the job pool's threads (plain, synchronous code)."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..errors import AvatarError
from ..export import save_animation
from ..generate import drive, generate
from ..lipsync import ExpressionSource, PhoneticLipSync
from ..motion.sampler import MotionModel
from ..pipeline import blendshapes, drive_animation
from ..portrait import Avatar, framed_photo
from ..portrait.store import BUILTIN
from ..store import AvatarStore
from .state import Models


def lipsync_source(cfg: Config, models: Models) -> ExpressionSource:
    if cfg.inference.lipsync == "phonetic":
        return PhoneticLipSync(cfg)
    if models.lipsync_net is None:
        raise AvatarError(
            "the neural lip-sync weights are not installed on this server: use lipsync=phonetic"
        )
    from ..neural.lipsync import NeuralLipSync

    return NeuralLipSync(models.lipsync_net, cfg)


def named_avatar(models: Models, store: AvatarStore, name: str | None) -> Avatar:
    """The avatar ``name`` from the store, or the built-in one (loaded with the models: no store)."""
    if not name or name.strip().lower() == BUILTIN:
        return models.default_avatar
    return store.load(name)


def pick_avatar(models: Models, store: AvatarStore, name: str | None, image: Path | None) -> Avatar:
    if image is not None:  # a one-off photo: framed, and cached, on this machine only
        return framed_photo(image)
    return named_avatar(models, store, name)


def run_generate(
    models: Models,
    store: AvatarStore,
    cfg: Config,
    audio: Path,
    text: str | None,
    avatar_name: str | None,
    image: Path | None,
    size: int,
    fmt: str,
    folder: Path,
) -> Path:
    """Audio -> ``folder``/out.mp4 (or .csv / .json curves) of the photo ``image``, the avatar
    ``avatar_name`` (from ``store``) or the default one; returns the file."""
    out = folder / f"out.{fmt}"
    source = lipsync_source(cfg, models)
    motion = MotionModel(models.motion_net, cfg)
    if fmt == "mp4":
        generate(
            audio,
            out,
            pick_avatar(models, store, avatar_name, image),
            text,
            size,
            cfg,
            source,
            motion,
            split_cores=False,
        )
    else:
        anim, result = blendshapes(audio, text, cfg, source=source, motion=motion)
        save_animation(anim, out, source="upload", lipsync=cfg.inference.lipsync, method=result.method)
    return out


def run_drive(
    models: Models,
    store: AvatarStore,
    cfg: Config,
    video: Path,
    audio: Path | None,
    avatar_name: str | None,
    image: Path | None,
    size: int,
    fmt: str,
    folder: Path,
) -> Path:
    """A driving video -> ``folder``/out.mp4 of the photo ``image``, the avatar ``avatar_name`` or
    the default one with the video's face, and its sound or ``audio``'s (or the captured curves as
    .csv / .json); returns the file."""
    out = folder / f"out.{fmt}"
    if fmt == "mp4":
        avatar = pick_avatar(models, store, avatar_name, image)
        drive(video, out, avatar, audio, size, cfg, split_cores=False)
    else:
        save_animation(drive_animation(video, cfg), out, source="upload", method="capture")
    return out
