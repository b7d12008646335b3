"""Uploads under attack: pixel bombs, audio without a recorded duration, odd content types and
file names, avatars deleted while a request uses them."""

import io
import struct
import threading
import zlib

import av
import numpy as np
import pytest
from PIL import Image

import avatar.portrait.bundle as bundle
import avatar.portrait.store as store
from avatar.audio import audio_duration
from avatar.server import uploads


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height pixels (its data is a few bytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def test_a_pixel_bomb_is_413_not_500(client, speech):
    bomb = ("bomb.png", _png_declaring(30000, 30000), "image/png")
    files = {"audio": ("speech.wav", speech, "audio/wav"), "image": bomb}
    generate = client.post("/generate", files=files, data={"format": "mp4"})
    assert generate.status_code == 413 and "limit is 1 MP" in generate.json()["detail"]
    enroll = client.post("/avatars", files={"image": bomb})
    assert enroll.status_code == 413 and "limit is 1 MP" in enroll.json()["detail"]


def _webm_without_duration(path, seconds: int) -> None:
    """Opus in WebM written as a live stream: the container records no duration."""
    with av.open(str(path), "w", format="webm", options={"live": "1"}) as out:
        stream = out.add_stream("libopus", rate=48000, layout="mono")
        stream.bit_rate = 6000
        tone = (3000 * np.sin(2 * np.pi * 220 * np.arange(48000) / 48000)).astype(np.int16)[None]
        for _ in range(seconds):
            frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.fixture(scope="module")
def endless(tmp_path_factory):
    path = tmp_path_factory.mktemp("webm") / "long.webm"
    _webm_without_duration(path, 60)
    with av.open(str(path)) as container:  # what makes it an attack: nothing to read the length from
        assert container.duration is None and container.streams.audio[0].duration is None
    return path


def test_audio_without_a_recorded_duration_stops_decoding_at_the_limit(client, endless, monkeypatch):
    measured = []

    def spy(path, limit_s=None):
        measured.append(audio_duration(path, limit_s))
        return measured[-1]

    monkeypatch.setattr(uploads, "audio_duration", spy)
    reply = client.post("/generate", files={"audio": ("long.webm", endless.read_bytes(), "audio/webm")})
    assert reply.status_code == 413 and "limit is 8 s" in reply.json()["detail"]
    assert 8 < measured[0] < 20  # decoding stopped just past the 8 s limit, not at 60 s


def test_health_answers_while_an_upload_is_checked(client, endless, monkeypatch):
    checking, release = threading.Event(), threading.Event()

    def slow(path, limit_s=None):  # the check of a long upload, held open until health answered
        checking.set()
        release.wait(30)
        return audio_duration(path, limit_s)

    monkeypatch.setattr(uploads, "audio_duration", slow)
    replies = []
    upload = threading.Thread(
        target=lambda: replies.append(
            client.post("/generate", files={"audio": ("long.webm", endless.read_bytes(), "audio/webm")})
        )
    )
    upload.start()
    try:
        assert checking.wait(30)
        health = []
        probe = threading.Thread(target=lambda: health.append(client.get("/health").status_code))
        probe.start()
        probe.join(5)  # on the event loop, the check would hold this until released
        assert health == [200]
    finally:
        release.set()
        upload.join(60)
    assert replies[0].status_code == 413


def _boundary_body(speech: bytes) -> tuple[bytes, str]:
    boundary = "xYzBoundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="format"\r\n\r\njson\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="s.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + speech
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, boundary


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("MULTIPART/FORM-DATA; boundary={b}", 200),
        ("Multipart/Form-Data ; boundary={b}", 200),
        ("multipart/form-dataX; boundary={b}", 415),
        ("multipart/form-data-not; boundary={b}", 415),
    ],
)
def test_the_media_type_is_parsed_not_prefix_matched(client, speech, content_type, status):
    body, boundary = _boundary_body(speech)
    reply = client.post("/generate", content=body, headers={"Content-Type": content_type.format(b=boundary)})
    assert reply.status_code == status, reply.text


def _portrait(flip: bool = False) -> bytes:
    from skimage import data

    picture = Image.fromarray(data.astronaut()).resize((400, 400))
    if flip:
        picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    buf = io.BytesIO()
    picture.save(buf, format="JPEG")
    return buf.getvalue()


def test_nameless_uploads_get_their_own_ids_and_no_raw_name_comes_back(client):
    ids = []
    for filename, flip in ((".jpg", False), ("名前.jpg", True), ("<b>x.JPG", False)):
        made = client.post("/avatars", files={"image": (filename, _portrait(flip), "image/jpeg")})
        assert made.status_code == 201, made.text
        assert "<" not in made.text and "名" not in made.text  # the name is never echoed raw
        ids.append(made.json()["id"])
    assert ids[0].startswith("avatar_") and ids[1].startswith("avatar_") and ids[0] != ids[1]
    assert ids[2] == "b_x"
    listed = {a["id"]: a for a in client.get("/avatars").json()}
    assert {*ids} <= set(listed) and listed["b_x"]["source"] == "b_x.jpg"
    for ident in ids:
        assert client.delete(f"/avatars/{ident}").status_code == 204


def test_an_avatar_deleted_meanwhile_is_404_everywhere(client, speech, monkeypatch):
    made = client.post("/avatars", files={"image": ("gone.jpg", _portrait(), "image/jpeg")})
    assert made.status_code == 201, made.text
    real_read, real_delete = store.read_bundle, bundle.delete_bundle

    def deleted_while_reading(folder, name):  # the delete lands between the look-up and the read
        store.remove_avatar(name)
        return real_read(folder, name)

    monkeypatch.setattr(store, "read_bundle", deleted_while_reading)
    files = {"audio": ("speech.wav", speech, "audio/wav")}
    reply = client.post("/generate", files=files, data={"avatar": "gone", "size": "256"})
    assert reply.status_code == 404 and "gone" in reply.json()["detail"]
    monkeypatch.setattr(store, "read_bundle", real_read)
    assert client.post("/generate", files=files, data={"avatar": "gone"}).status_code == 404
    assert client.delete("/avatars/gone").status_code == 404

    made = client.post("/avatars", files={"image": ("gone.jpg", _portrait(), "image/jpeg")})
    assert made.status_code == 201

    def deleted_twice(folder):  # two deletes of one avatar at once
        real_delete(folder)
        real_delete(folder)

    monkeypatch.setattr(store, "delete_bundle", deleted_twice)
    assert client.delete("/avatars/gone").status_code == 404
