"""The web page's Live mode driven by a camera, in real headless Chromium: its fake camera plays
a person holding still for 3 s, as the page asks, then talking (the round-trip clip, written as
Y4M here, over and over); the page sends it as JPEGs over WS /stream, and the avatar on the
canvas opens its mouth with the clip's."""

import cv2
import numpy as np
import pytest
from stream.camera_clips import camera_frames  # tests/stream (tests/ is on the path)

from .chromium import NEEDS_CHROMIUM, headless_chromium

HOLD_FRAMES = 90  # 3 s: the page opens the camera, then the stream, then takes the neutral second
selenium = pytest.importorskip("selenium", reason="needs selenium (pip install -e '.[dev]')")
pytestmark = NEEDS_CHROMIUM


def write_y4m(path, frames: list[np.ndarray], fps: int = 30) -> None:
    """RGB frames (H, W, 3), W and H even -> an uncompressed YUV 4:2:0 (.y4m) file, the format
    Chromium's fake camera plays (over and over)."""
    height, width = frames[0].shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            out.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory):
    frames = camera_frames()
    frames = [frames[0]] * HOLD_FRAMES + frames  # the neutral second falls in the hold
    path = tmp_path_factory.mktemp("camera") / "face.y4m"
    write_y4m(path, frames)
    return path


@pytest.fixture(scope="module")
def server():
    from avatar.server.local import local_server

    with local_server() as running:
        yield running.url


@pytest.fixture(scope="module")
def browser(camera_file):
    with headless_chromium(f"--use-file-for-fake-video-capture={camera_file}") as driver:
        yield driver


def test_live_mode_follows_the_camera_face(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/ui/")
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#avatar option"))
    browser.find_element(By.ID, "live-camera").click()
    browser.find_element(By.ID, "live").click()
    state = lambda d: d.find_element(By.ID, "live-state").text  # noqa: E731
    WebDriverWait(browser, 30).until(lambda d: "hold still" in state(d) or "refused" in state(d))
    assert "hold still, looking at the camera" in state(browser)
    canvas = browser.find_element(By.ID, "live-view")
    WebDriverWait(browser, 60).until(lambda d: canvas.get_attribute("data-calibrated") == "1")
    assert "follows your face" in state(browser)
    before = int(canvas.get_attribute("data-frames"))
    WebDriverWait(browser, 90).until(lambda d: int(canvas.get_attribute("data-frames")) >= before + 270)
    frames, sent = browser.execute_script(
        "const c = document.getElementById('live-view'); return [+c.dataset.frames, +c.dataset.sent];"
    )
    browser.find_element(By.ID, "live").click()  # stop
    assert float(canvas.get_attribute("data-max-jaw")) > 0.1  # the clip's mouth opened the avatar's
    assert frames <= sent  # one answer per camera frame at most
    pixels = browser.execute_script(
        "const c = document.getElementById('live-view').getContext('2d');"
        "return Array.from(c.getImageData(0, 0, 256, 256).data.slice(0, 4000));"
    )
    assert max(pixels) > 0  # frames were drawn
