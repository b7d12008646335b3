"""Expression: the 64-d per-frame face description every lip-sync path produces."""

from .channels import (
    ARKIT_BLENDSHAPES,
    ARTICULATORS,
    CHANNEL_INDEX,
    CHANNELS,
    EXPRESSION_DIM,
    channel_vector,
    mouth_openness,
)

__all__ = [
    "ARKIT_BLENDSHAPES",
    "ARTICULATORS",
    "CHANNELS",
    "CHANNEL_INDEX",
    "EXPRESSION_DIM",
    "channel_vector",
    "mouth_openness",
]
