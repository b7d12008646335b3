"""Training data for the neural lip-sync: synthetic speech with frame-accurate mouth targets.

``synth(hours, out, seed)`` writes labelled utterances (audio, phones at 50 Hz, 64-d targets at
30 fps) to a folder; ``avatar data synth`` is its command line. Importing is cheap: the TTS
engines, pocketsphinx and scipy are loaded by the submodules when used.
"""

from .factory import synth

__all__ = ["synth"]
