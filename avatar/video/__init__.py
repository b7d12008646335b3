"""MP4 output: RGB frames and a speech track to H.264 + AAC that plays in any browser.

Importing is cheap: PyAV is loaded by the submodules, nothing is opened until a writer is made.
"""

from .probe import faststart, probe
from .writer import VideoWriter

__all__ = ["VideoWriter", "faststart", "probe"]
