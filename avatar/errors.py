"""Errors the user can act on. The CLI prints them as one line; the API maps them to 4xx."""


class AvatarError(Exception):
    """Base class: a problem with the user's input, files or settings (not a bug)."""


class ConfigError(AvatarError):
    """A config key is unknown or has a bad value; the message names the key."""


class AudioError(AvatarError):
    """Audio input that cannot be used: missing, unreadable, unsupported, empty or too short."""


class AlignmentError(AvatarError):
    """The transcript could not be aligned to the audio."""


class OutputError(AvatarError):
    """An output file cannot be written (bad extension, unwritable folder)."""


class VideoError(AvatarError):
    """A video that cannot be read: missing, not a video, no video stream, undecodable."""


class ImageError(AvatarError):
    """A portrait that cannot be used: missing, unreadable, too large or small, or no usable face."""
