"""Every endpoint of the service, and every kind of bad input getting a 4xx with a reason."""

import csv
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avatar.video import probe


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("avatar-req-*")}


def _post(client, speech, **fields):
    files = {"audio": ("speech.wav", speech, "audio/wav")}
    if "image" in fields:
        files["image"] = fields.pop("image")
    return client.post("/generate", files=files, data={k: str(v) for k, v in fields.items()})


def test_root_health_metrics_docs_ui(client):
    root = client.get("/").json()
    assert root["name"] == "avatar" and root["status"] == "ready" and root["version"]
    health = client.get("/health")
    body = health.json()
    assert health.status_code == 200 and body["models_loaded"] and body["models"]["motion"]
    assert body["device"] == "cpu" and body["pool"]["workers"] == 1 and body["uptime_s"] >= 0
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "avatar_http_requests_total" in metrics.text
    assert 'route="/health"' in metrics.text and "avatar_ready 1.0" in metrics.text
    schema = client.get("/openapi.json").json()
    assert {"/", "/health", "/metrics", "/generate", "/avatars", "/avatars/{avatar_id}"} <= set(
        schema["paths"]
    )
    assert client.get("/docs").status_code == 200
    page = client.get("/ui/")
    assert page.status_code == 200 and "Generate" in page.text and client.get("/ui/app.js").status_code == 200


def test_request_id_is_echoed_or_made(client):
    assert client.get("/", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert len(client.get("/").headers["x-request-id"]) == 32


def test_generate_json_and_csv(client, speech):
    before = _leftovers()
    reply = _post(client, speech, format="json", still="true", seed=3)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    data = reply.json()
    assert len(data["frames"]) == round(3.478 * 30) and not np.array(data["head"]["frames"]).any()
    reply = _post(client, speech, format="csv", emotion="happy")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[0][0] == "Timecode" and len(rows) == len(data["frames"]) + 1
    assert _leftovers() == before  # temporary files removed


def test_generate_mp4(client, speech, tmp_path):
    reply = _post(client, speech, size=256)
    assert reply.status_code == 200 and reply.headers["content-type"] == "video/mp4"
    path = tmp_path / "out.mp4"
    path.write_bytes(reply.content)
    info = probe(path)
    assert info["frames"] == round(3.478 * 30) and info["width"] == 256 and info["audio_codec"] == "aac"


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"size": 300}, "size"),
        ({"format": "gif"}, "format"),
        ({"head_motion": 5}, "head_motion"),
        ({"emotion": "joy"}, "unknown emotion"),
        ({"lipsync": "magic"}, "lipsync"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_options_are_422(client, speech, fields, needle):
    reply = _post(client, speech, **{"format": "mp4", **fields})
    assert reply.status_code == 422 and needle in json.dumps(reply.json()["detail"])


def test_bad_inputs(client, speech, long_speech):
    before = _leftovers()
    corrupt = client.post("/generate", files={"audio": ("x.wav", b"RIFF0000WAVEjunk" * 50, "audio/wav")})
    assert corrupt.status_code == 422 and "avatar-req" not in corrupt.json()["detail"]
    text = client.post("/generate", files={"audio": ("notes.txt", b"hello there", "text/plain")})
    assert text.status_code == 422
    empty = client.post("/generate", files={"audio": ("e.wav", b"", "audio/wav")})
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    missing = client.post("/generate", files={"image": ("p.png", b"x", "image/png")}, data={"format": "json"})
    assert missing.status_code == 422 and "audio" in json.dumps(missing.json()["detail"])
    wrong_type = client.post("/generate", json={"audio": "speech.wav"})
    assert wrong_type.status_code == 415 and "multipart" in wrong_type.json()["detail"]
    too_long = client.post("/generate", files={"audio": ("long.wav", long_speech, "audio/wav")})
    assert too_long.status_code == 413 and "limit is 8 s" in too_long.json()["detail"]
    huge = client.post("/generate", files={"audio": ("big.wav", b"\0" * (3 * 1024 * 1024), "audio/wav")})
    assert huge.status_code == 413 and "2 MB" in huge.json()["detail"]
    assert _leftovers() == before


def _png(size=(256, 256)) -> bytes:
    buf = io.BytesIO()
    gradient = np.tile(np.linspace(0, 255, size[0], dtype=np.uint8), (size[1], 1))
    Image.fromarray(np.stack([gradient] * 3, axis=-1)).save(buf, format="PNG")
    return buf.getvalue()


def test_bad_images(client, speech):
    no_face = _post(client, speech, image=("wall.png", _png(), "image/png"))
    assert no_face.status_code == 422 and "face" in no_face.json()["detail"]
    big = _post(client, speech, image=("big.png", _png((1300, 1000)), "image/png"))
    assert big.status_code == 413 and "1 MP" in big.json()["detail"]
    not_image = _post(client, speech, image=("x.png", b"not a picture", "image/png"))
    assert not_image.status_code == 422 and "picture" in not_image.json()["detail"]
    both = _post(client, speech, image=("p.png", _png(), "image/png"), avatar="astronaut")
    assert both.status_code == 422 and "not both" in both.json()["detail"]


def test_avatars_enroll_list_delete(client):
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((400, 400)).save(buf, format="JPEG")
    made = client.post("/avatars", files={"image": ("Eileen Collins.jpg", buf.getvalue(), "image/jpeg")})
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    assert ident == "eileen_collins"
    listed = client.get("/avatars").json()
    assert listed[0] == {"id": "astronaut", "builtin": True, "source": listed[0]["source"]}
    assert ident in {a["id"] for a in listed}
    assert client.delete(f"/avatars/{ident}").status_code == 204
    assert client.delete(f"/avatars/{ident}").status_code == 404
    assert client.delete("/avatars/astronaut").status_code == 409
    no_face = client.post("/avatars", files={"image": ("wall.png", _png(), "image/png")})
    assert no_face.status_code == 422


def test_full_pool_is_503_with_retry_after(client, speech):
    pool = client.app.state.service.pool
    pool._admitted = pool.capacity  # every place taken
    try:
        reply = _post(client, speech, format="json")
    finally:
        pool._admitted = 0
    assert (
        reply.status_code == 503 and reply.headers["retry-after"] == "5" and "busy" in reply.json()["detail"]
    )


def test_a_photo_sent_with_generate_is_nobody_s_enrolled_avatar(client, speech):
    from skimage import data

    def jpeg(pixels) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(pixels).resize((400, 400)).save(buf, format="JPEG")
        return buf.getvalue()

    astronaut = data.astronaut()
    made = client.post(
        "/avatars", files={"image": ("mine.jpg", jpeg(astronaut), "image/jpeg")}, data={"name": "photo"}
    )
    assert made.status_code == 201, made.text
    before = {a["id"]: a for a in client.get("/avatars").json()}
    mirrored = np.ascontiguousarray(astronaut[:, ::-1])  # another photo of a face
    reply = _post(client, speech, image=("photo.jpg", jpeg(mirrored), "image/jpeg"), format="mp4", size=256)
    assert reply.status_code == 200 and reply.headers["content-type"] == "video/mp4", reply.text[:200]
    assert {a["id"]: a for a in client.get("/avatars").json()} == before  # "photo" is still the one enrolled
    assert client.delete("/avatars/photo").status_code == 204
