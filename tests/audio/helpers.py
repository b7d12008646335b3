"""Paths and small measurements shared by the audio tests."""

from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAUSE_SAMPLES = 16000  # pauses.wav: 1.000 s of digital silence on each side of the speech


def envelope(x: np.ndarray, hop: int = 160) -> np.ndarray:
    """RMS per 10 ms block at 16 kHz."""
    n = len(x) // hop * hop
    return np.sqrt(np.mean(x[:n].astype(np.float64).reshape(-1, hop) ** 2, axis=1))


def rms_dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2))))
