"""Avatar enrollment: a portrait photo -> an aligned 512x512 face crop with 478 face-mesh landmarks.

avatar = enroll("me.jpg")          # cached under avatar_home() / "avatars" / "me"
avatar = load_avatar("me")
avatar = default_avatar()          # the built-in astronaut portrait
avatar.image                       # (512, 512, 3) uint8 RGB
avatar.landmarks                   # (478, 3) float32 crop pixels
"""

from .bundle import Avatar
from .facemesh import detect_faces, eye_aspect_ratio, eyes_open, inner_lip_gap, mouth_width
from .store import (
    avatar_home,
    default_avatar,
    enroll,
    enroll_or_load,
    framed_photo,
    list_avatars,
    load_avatar,
    remove_avatar,
)

__all__ = [
    "Avatar",
    "avatar_home",
    "default_avatar",
    "detect_faces",
    "enroll",
    "enroll_or_load",
    "eye_aspect_ratio",
    "eyes_open",
    "framed_photo",
    "inner_lip_gap",
    "list_avatars",
    "load_avatar",
    "mouth_width",
    "remove_avatar",
]
