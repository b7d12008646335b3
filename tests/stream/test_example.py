"""The TTS example runs: espeak-ng piped in chunks through the stream into an MP4."""

import subprocess
import sys
from pathlib import Path

import pytest

from avatar.video import probe

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
@pytest.mark.needs_tts("espeak-ng")
def test_tts_stream_example(tmp_path):
    out = tmp_path / "tts.mp4"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tts_stream.py"), "Hello there, avatar.", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"AVATAR_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    info = probe(out)
    assert info["frames"] > 20 and info["audio_codec"] == "aac" and "first frame" in done.stdout
