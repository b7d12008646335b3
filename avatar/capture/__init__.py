"""Face capture: a video of a real face -> the 64 expression channels, head pose and gaze at 30 fps.

anim = capture("me.mp4")    # Animation; anim.face_found says which frames held a face

The channels are fitted onto the renderer's own displacement basis for the person in the video,
so capture is the renderer's inverse: rendering a captured Animation reproduces the video's face.
"""

from .core import capture
from .errors import CaptureError

__all__ = ["CaptureError", "capture"]
