"""What the whole suite shares: the ``needs_tts`` and ``slow`` markers, the ``unprivileged`` fixture.

``@pytest.mark.needs_tts`` alone means what the data factory runs (libespeak-ng for every
language, flite and festival for English); ``@pytest.mark.needs_tts("espeak-ng")`` names the
engines a test needs when it needs fewer or others. ``@pytest.mark.slow`` marks the tests that
take longest: they run by default (CI runs everything); ``pytest -m "not slow"`` is the quick loop.
``unprivileged`` runs Python code in a process that file permissions apply to, even as root.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

# engine -> (how to find it, the Debian package that installs it)
ENGINES = {
    "libespeak-ng": (lambda: ctypes.util.find_library("espeak-ng"), "libespeak-ng1"),
    "espeak-ng": (lambda: shutil.which("espeak-ng"), "espeak-ng"),
    "flite": (lambda: shutil.which("flite"), "flite"),
    "festival": (lambda: shutil.which("text2wave"), "festival"),
}
FACTORY_ENGINES = ("libespeak-ng", "flite", "festival")


@cache
def _found(engine: str) -> bool:
    return ENGINES[engine][0]() is not None


def missing_tts(engines: tuple[str, ...] = FACTORY_ENGINES) -> list[str]:
    """The Debian packages to install for ``engines`` (empty if all are there)."""
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        raise ValueError(f"needs_tts: unknown engine {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    return [ENGINES[e][1] for e in engines if not _found(e)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_tts(*engines): skip unless these TTS engines are installed "
        f"(default: the data factory's, {', '.join(FACTORY_ENGINES)}; known: {', '.join(ENGINES)})",
    )
    config.addinivalue_line(
        "markers", "slow: among the slowest tests; they run by default, -m 'not slow' leaves them out"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("needs_tts")
        if marker is None:
            continue
        missing = " ".join(missing_tts(tuple(marker.args) or FACTORY_ENGINES))
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"needs the TTS engines (apt-get install {missing})"))


# Root passes permission checks through these two capabilities; without them, a process of
# root's is held to a file's mode bits like any other user (and keeps root's own files and tools).
OVERRIDES = "-dac_override,-dac_read_search"


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """An empty folder with mode 0500 (writable again afterwards, so pytest can remove it)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        yield folder
    finally:
        folder.chmod(0o700)


@pytest.fixture(scope="session")
def unprivileged() -> Callable[..., subprocess.CompletedProcess]:
    """``run(code, *args)``: run ``python -c code args`` where a read-only folder is read-only.

    As root (CI runs the tests as root) the process is root without the capabilities that
    override file permissions (``setpriv``, from util-linux); as anyone else, a plain process.
    """
    prefix: list[str] = []
    if os.name == "posix" and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv (apt-get install util-linux) to drop root's permission override")
        prefix = ["setpriv", f"--bounding-set={OVERRIDES}"]

    def run(code: str, *args: str) -> subprocess.CompletedProcess:
        command = [*prefix, sys.executable, "-c", code, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    if prefix and run("").returncode != 0:
        pytest.skip("cannot drop root's permission override here (no CAP_SETPCAP)")
    return run
