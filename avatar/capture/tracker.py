"""MediaPipe face mesh in tracking mode (refined irises): one face's 478 landmarks per frame."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from ..portrait.facemesh import landmark_pixels, quiet_stderr


class FaceTracker:
    """Landmarks of one face, frame after frame; tracking reuses the last frame's face
    instead of detecting it again, which is both faster and steadier than per-photo detection."""

    def __init__(self) -> None:
        import mediapipe as mp

        # The graph's threads log C++ warnings to stderr at any time from its creation until it
        # has detected and tracked a face (see portrait.facemesh.detect_faces). Users should see
        # only our own lines, so stderr stays shut until three frames with a face have run, or ten
        # frames at most (stderr is the whole process's: a server's log must not stay shut).
        self._chatty, self._muted_frames = 3, 10
        self._quiet: contextlib.AbstractContextManager | None = quiet_stderr()
        self._quiet.__enter__()
        self._mesh: Any = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._tracking = False

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        """(H, W, 3) uint8 RGB -> (478, 3) float32 pixels (z on x's scale), or None without a face."""
        height, width = rgb.shape[:2]
        rgb = np.ascontiguousarray(rgb)
        result = self._mesh.process(rgb)
        if self._quiet is not None:
            self._chatty -= bool(result.multi_face_landmarks)
            self._muted_frames -= 1
            if self._chatty <= 0 or self._muted_frames <= 0:
                self._speak()
        if not result.multi_face_landmarks:
            self._tracking = False
            return None
        if not self._tracking:
            # A face just detected is placed by the detector's box, which sits the mesh a degree or
            # two off where tracking will: measured again from its own landmarks it matches the
            # frames that follow.
            result = self._mesh.process(rgb)
            self._tracking = bool(result.multi_face_landmarks)
            if not result.multi_face_landmarks:
                return None
        return landmark_pixels(result.multi_face_landmarks[0], width, height)

    def _speak(self) -> None:
        if self._quiet is not None:
            self._quiet.__exit__(None, None, None)
            self._quiet = None

    def close(self) -> None:
        self._mesh.close()
        self._speak()

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
