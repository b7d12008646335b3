"""Lip-sync: audio (and an optional transcript) -> 64-d expression per video frame."""

from .animator import animate_phones
from .interface import ExpressionSource, LipSync, ProgressFn
from .phones import Phone
from .phonetic import PhoneticLipSync
from .visemes import VISEMES

__all__ = [
    "VISEMES",
    "ExpressionSource",
    "LipSync",
    "Phone",
    "PhoneticLipSync",
    "ProgressFn",
    "animate_phones",
]
