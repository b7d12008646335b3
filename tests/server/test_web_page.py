"""The web page in real headless Chromium: record from a fake microphone (a WAV), generate, play."""

import time
from pathlib import Path

import pytest

from .chromium import NEEDS_CHROMIUM, headless_chromium

FIXTURES = Path(__file__).parents[1] / "fixtures"
selenium = pytest.importorskip("selenium", reason="needs selenium (pip install -e '.[dev]')")
pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def server():
    from avatar.server.local import local_server

    with local_server() as running:
        yield running.url


@pytest.fixture(scope="module")
def browser():
    with headless_chromium(
        f"--use-file-for-fake-audio-capture={FIXTURES / 'pauses.wav'}",
        "--autoplay-policy=no-user-gesture-required",
    ) as driver:
        yield driver


def test_record_generate_and_play(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/ui/")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#avatar option"))
    assert browser.find_element(By.ID, "avatar").get_attribute("value") == "astronaut"
    browser.find_element(By.ID, "record").click()
    wait.until(lambda d: "recording" in d.find_element(By.ID, "record-state").text)
    time.sleep(3.0)
    browser.find_element(By.ID, "record").click()
    wait.until(lambda d: "recorded" in d.find_element(By.ID, "record-state").text)
    browser.find_element(By.ID, "generate").click()
    WebDriverWait(browser, 120).until(
        lambda d: d.find_element(By.ID, "status").text.startswith(("Done", "Failed", "Network"))
    )
    assert browser.find_element(By.ID, "status").text.startswith("Done"), browser.find_element(
        By.ID, "status"
    ).text
    duration = WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "const v = document.getElementById('result'); return v.readyState >= 1 && v.duration;"
        )
    )
    assert 2.0 < duration < 5.0  # about the 3 s recorded


def test_live_mode_moves_the_mouth_while_the_file_speaks(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/ui/")
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#avatar option"))
    browser.find_element(By.ID, "live").click()
    WebDriverWait(browser, 30).until(lambda d: "live:" in d.find_element(By.ID, "live-state").text)
    canvas = browser.find_element(By.ID, "live-view")
    WebDriverWait(browser, 30).until(lambda d: int(canvas.get_attribute("data-frames") or 0) >= 150)
    browser.find_element(By.ID, "live").click()  # stop
    assert float(canvas.get_attribute("data-max-jaw")) > 0.2  # the fake microphone's speech opened it
    pixels = browser.execute_script(
        "const c = document.getElementById('live-view').getContext('2d');"
        "return Array.from(c.getImageData(0, 0, 256, 256).data.slice(0, 4000));"
    )
    assert max(pixels) > 0  # frames were drawn


WEBRTC_JS = (Path(__file__).parent / "webrtc_client.js").read_text()


def test_webrtc_microphone_in_avatar_video_out(server, browser):
    browser.get(f"{server}/ui/")
    browser.set_script_timeout(90)
    result = browser.execute_async_script(WEBRTC_JS)
    assert result.get("state") == "connected", result
    assert result["w"] == 256 and result["t"] > 2.0 and result["audio"], result
    assert result["change"] > 2.0, result  # the mouth region changes while the fake microphone speaks
