"""LiveSession: a client that does not read loses the oldest frames, never server memory, and
the frames it does get still decode (encoding happens when a frame is sent)."""

import asyncio
import time
from pathlib import Path

import av
import numpy as np
import pytest

from avatar.config import load_config
from avatar.pipeline import prepare_audio
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.stream.core import AvatarStream, live_networks
from avatar.stream.encoders import H264
from avatar.stream.protocol import unpack_frame
from avatar.stream.session import MAX_BACKLOG_S, QUEUE_FRAMES, BacklogError, LiveSession

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_a_client_that_does_not_read_loses_old_frames_and_the_rest_decode():
    cfg = load_config(env={}, overrides={"lipsync": "neural"})
    speech = prepare_audio(FIXTURES / "pauses.wav", cfg)  # 3.5 s: more frames than the queue holds
    avatar = default_avatar()
    stream = AvatarStream(cfg, *live_networks(), Renderer(avatar.image, avatar.landmarks, 256))
    session = LiveSession(stream, H264(256))

    async def scenario() -> list[bytes]:
        session.feed((np.clip(speech, -1, 1 - 1 / 32768) * 32768).astype("<i2").tobytes())
        session.finish()
        await session.run()  # nobody reads meanwhile
        assert session.outbox.qsize() <= QUEUE_FRAMES
        messages = []
        while (message := await session.next_message()) is not None:
            messages.append(message)
        return messages

    messages = asyncio.run(scenario())
    total = round(len(speech) / 16000 * 30)
    assert session.dropped > 0 and len(messages) + session.dropped == total
    indices = [unpack_frame(m)[0] for m in messages]
    assert indices == list(range(total - len(messages), total))  # the newest frames, in order
    decoder = av.CodecContext.create("h264", "r")
    pictures = [p for m in messages for p in decoder.decode(av.Packet(unpack_frame(m)[4]))]
    assert len(pictures) == len(messages) and pictures[0].key_frame  # every one decodes
    assert pictures[-1].to_ndarray(format="rgb24").shape == (256, 256, 3)


def test_audio_faster_than_real_time_is_paced_bounded_and_refused_past_the_backlog():
    cfg = load_config(env={}, overrides={"lipsync": "neural"})
    avatar = default_avatar()
    stream = AvatarStream(cfg, *live_networks(), Renderer(avatar.image, avatar.landmarks, 256))
    session = LiveSession(stream, H264(256))
    pulls = []
    real_pull = stream.pull
    stream.pull = lambda *a, **k: pulls.append(real_pull(*a, **k)) or pulls[-1]
    second = np.zeros(16000, "<i2").tobytes()

    async def scenario() -> None:
        for _ in range(30):  # 30 s at once, as a flooding client sends it
            session.feed(second)
        producer = asyncio.create_task(session.run())
        while session.outbox.qsize() < QUEUE_FRAMES:  # nobody reads: the outbox fills, then waits
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        # Paced: frames are made ahead of their time only as far as the outbox holds, and a
        # frame goes unread (dropped) only once it is due, however fast this machine is.
        due = (time.monotonic() - session.started - session.latency_s) * stream.fps + 1
        assert stream.done <= max(0, due) + QUEUE_FRAMES + stream.block
        assert session.dropped <= max(0, due) + stream.block
        assert all(frame.image is None for frame in session.outbox._queue)  # nothing drawn yet
        assert 25 < session.backlog_s < 31
        with pytest.raises(BacklogError, match="faster than real time"):
            for _ in range(int(MAX_BACKLOG_S)):
                session.feed(second)
        producer.cancel()

    asyncio.run(scenario())
    assert max(len(frames) for frames in pulls) <= stream.block  # one block per trip, at most


@pytest.mark.parametrize(("fps", "period"), [(30, 3), (25, 1), (50, 1), (60, 6), (24, 12)])
def test_the_block_period_is_where_frames_and_encoder_hops_meet(fps, period):
    cfg = load_config(env={}, overrides={"lipsync": "neural", "model.fps": fps})
    stream = AvatarStream(cfg, *live_networks())
    hop = stream.lipsync.dims.encoder.hop
    assert stream.period == period and stream.clock.frame_start(period) % hop == 0
    assert all(stream.clock.frame_start(k) % hop for k in range(1, period))
