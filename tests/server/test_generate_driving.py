"""``POST /generate`` with a ``driving`` video: the portrait driven by it, and bad videos as 4xx."""

import tempfile
from pathlib import Path

import numpy as np
import pytest

from avatar.audio import SAMPLE_RATE, load_audio
from avatar.expression.channels import CHANNEL_INDEX
from avatar.video import VideoWriter, probe

FIXTURES = Path(__file__).parents[1] / "fixtures"
SPEECH25 = FIXTURES / "driving" / "speech25.mp4"  # 2.6 s at 25 fps, 320x256, with sound


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("avatar-req-*")}


def _post(client, driving: bytes, name: str = "me.mp4", audio: bytes | None = None, **fields):
    files = {"driving": (name, driving, "video/mp4")}
    if audio is not None:
        files["audio"] = ("speech.wav", audio, "audio/wav")
    return client.post("/generate", files=files, data={k: str(v) for k, v in fields.items()})


def _video(size: tuple[int, int], frames: int, fps: int = 30) -> bytes:
    """A grey video (no face) of ``frames`` frames, as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grey.mp4"
        with VideoWriter(path, size, fps=fps, crf=40) as writer:
            for _ in range(frames):
                writer.write(np.full((size[1], size[0], 3), 90, np.uint8))
        return path.read_bytes()


@pytest.fixture(scope="module")
def driving() -> bytes:
    return SPEECH25.read_bytes()


def test_driving_mp4_lasts_as_the_video_at_30_fps_with_its_sound(client, driving, tmp_path):
    before = _leftovers()
    reply = _post(client, driving, size=256)
    assert reply.status_code == 200 and reply.headers["content-type"] == "video/mp4"
    out = tmp_path / "out.mp4"
    out.write_bytes(reply.content)
    info = probe(out)
    assert info["fps"] == 30 and info["frames"] == round(2.6 * 30) and info["width"] == 256
    assert info["audio_codec"] == "aac" and info["audio_duration"] == pytest.approx(2.6, abs=0.03)
    mine, theirs = load_audio(out, SAMPLE_RATE), load_audio(SPEECH25, SAMPLE_RATE)
    assert np.corrcoef(mine[: len(theirs)], theirs[: len(mine)])[0, 1] > 0.95
    assert _leftovers() == before


def test_driving_with_audio_takes_that_sound(client, driving, speech, tmp_path):
    reply = _post(client, driving, audio=speech)
    assert reply.status_code == 200
    out = tmp_path / "out.mp4"
    out.write_bytes(reply.content)
    info = probe(out)
    assert info["frames"] == 78 and info["audio_duration"] == pytest.approx(2.6, abs=0.03)  # cut to the video
    mine = load_audio(out, SAMPLE_RATE)
    given = load_audio(FIXTURES / "pauses.wav", SAMPLE_RATE)[: len(mine)]  # the speech fixture's file
    assert np.corrcoef(mine[: len(given)], given)[0, 1] > 0.95


def test_driving_json_is_the_capture_under_the_controls(client, driving):
    free = _post(client, driving, format="json").json()
    still = _post(client, driving, format="json", still="true", expression_scale=0).json()
    assert len(free["frames"]) == len(still["frames"]) == 78 and all(free["face_found"])
    jaw = CHANNEL_INDEX["jawOpen"]
    width = len(free["names"])
    assert np.array(free["frames"]).reshape(-1, width)[:, jaw].max() > 0.1
    assert not np.array(still["frames"]).reshape(-1, width)[:, jaw].any()
    assert np.abs(free["head"]["frames"]).max() > 1.0 and not np.array(still["head"]["frames"]).any()


@pytest.mark.parametrize(
    ("make", "status", "needle"),
    [
        (lambda: (b"hello, not a video" * 10, "notes.txt"), 422, "not a video"),
        (lambda: ((FIXTURES / "pauses.wav").read_bytes(), "speech.wav"), 422, "no video stream"),
        (lambda: (_video((64, 64), 10), "grey.mp4"), 422, "no face"),
        (lambda: (_video((64, 64), 9 * 30), "long.mp4"), 413, "limit is 8 s"),
        (lambda: (_video((1280, 1000), 1), "big.mp4"), 413, "1 MP"),
        (lambda: (b"", "empty.mp4"), 422, "empty"),
    ],
)
def test_bad_driving_videos_are_4xx_with_a_reason(client, make, status, needle):
    before = _leftovers()
    data, name = make()
    reply = _post(client, data, name=name)
    detail = reply.json()["detail"]
    assert reply.status_code == status and needle in detail, detail
    assert "\n" not in detail and "avatar-req" not in detail
    assert _leftovers() == before


def test_driving_refuses_speech_options_and_nothing_sent_is_422(client, driving):
    text = _post(client, driving, text="hello")
    assert text.status_code == 422 and "for speech" in text.json()["detail"]
    lipsync = _post(client, driving, lipsync="neural")
    assert lipsync.status_code == 422 and "for speech" in lipsync.json()["detail"]
    nothing = client.post("/generate", files={"image": ("p.png", b"x", "image/png")})
    assert nothing.status_code == 422 and "'driving'" in nothing.json()["detail"]
