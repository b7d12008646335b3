"""LiveSession: a client that does not read loses the oldest frames, never server memory, and
the frames it does get still decode (encoding happens when a frame is sent)."""

import asyncio
from pathlib import Path

import av
import numpy as np

from avatar.config import load_config
from avatar.pipeline import prepare_audio
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.stream.core import AvatarStream, live_networks
from avatar.stream.encoders import H264
from avatar.stream.protocol import unpack_frame
from avatar.stream.session import QUEUE_FRAMES, LiveSession

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
