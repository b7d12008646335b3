"""Fixtures for the MP4 writer tests."""

from pathlib import Path

import pytest


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out.mp4"
