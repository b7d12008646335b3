"""``POST /generate``: speech, or a driving video of a face (+ a photo or an avatar id) -> an MP4, or
the curves as CSV / JSON."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import Field, field_validator
from starlette.background import BackgroundTask

from ...config import with_overrides
from ...controls import ControlOptions
from ...generate import SIZES
from .. import jobs, uploads
from ..deps import Authorized, Avatars, Ready, State


def multipart_only(request: Request) -> None:
    """415 for anything but a multipart form, before the fields are checked."""
    if not uploads.is_multipart(request.headers.get("content-type")):
        raise HTTPException(415, "send multipart/form-data with an 'audio' or 'driving' file field")


router = APIRouter(tags=["generate"], dependencies=[Authorized, Depends(multipart_only)])

MEDIA_TYPES = {"mp4": "video/mp4", "csv": "text/csv", "json": "application/json"}


class GenerateOptions(ControlOptions):
    """The CLI's options, as form fields (each left out keeps the server's configuration)."""

    format: Literal["mp4", "csv", "json"] = Field("mp4", description="video, or the curves")
    size: int = Field(256, description="frame size in pixels (mp4): 256 or 512")
    avatar: str | None = Field(None, max_length=64, description="an avatar id (see GET /avatars)")
    text: str | None = Field(None, max_length=20000, description="transcript (improves the phonetic timing)")
    lipsync: Literal["phonetic", "neural"] | None = None

    @field_validator("size")
    @classmethod
    def _size(cls, value: int) -> int:
        if value not in SIZES:
            raise ValueError(f"size must be one of {', '.join(map(str, SIZES))}")
        return value

    def overrides(self) -> dict[str, Any]:
        out = super().overrides()
        if self.lipsync is not None:
            out["lipsync"] = self.lipsync
        return out


@router.post(
    "/generate",
    summary="Make the avatar speak, or follow a driving video: MP4 (H.264 + AAC), or the curves "
    "(Live Link CSV / JSON)",
    description="Send 'audio' (speech) to lip-sync it, or 'driving' (a video of a face) to give the "
    "photo or avatar that face's captured expression, head motion and gaze, one frame per 1/30 s of "
    "the video, with the video's sound, or 'audio' instead, cut or padded with silence to the "
    "video's length. A driving video without sound and no 'audio' gives an MP4 with no audio "
    "track. text and lipsync are for speech only.",
    response_class=FileResponse,
    responses={
        200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "the video or the curves"},
        413: {"description": "upload, audio, image or driving video over a limit"},
        415: {"description": "not a multipart/form-data request"},
        422: {"description": "bad input: undecodable audio, not a video, no face, a bad option"},
        404: {"description": "no avatar of that id"},
        503: {"description": "busy, or the avatar store unreachable (Retry-After); or still loading"},
        504: {"description": "the job ran past the timeout"},
    },
)
async def post_generate(
    state: State,
    models: Ready,
    store: Avatars,
    options: Annotated[GenerateOptions, Form()],
    audio: Annotated[
        UploadFile | None,
        File(description="speech: wav, flac, ogg, mp3, m4a, webm... (or with driving: its sound)"),
    ] = None,
    image: Annotated[UploadFile | None, File(description="portrait photo (instead of avatar)")] = None,
    driving: Annotated[
        UploadFile | None,
        File(description="a video of a face to drive the portrait with (mp4, mov, webm...)"),
    ] = None,
) -> FileResponse:
    if audio is None and driving is None:
        raise HTTPException(422, "send an 'audio' file (speech) or a 'driving' video")
    if image is not None and options.avatar:
        raise HTTPException(422, "give either an image or an avatar id, not both")
    if driving is not None and (options.text is not None or options.lipsync is not None):
        raise HTTPException(
            422, "text and lipsync are for speech: a driving video gives the mouth its motion"
        )
    limits = state.cfg.inference.server
    cfg = with_overrides(state.cfg, options.overrides())
    folder = uploads.workdir()
    try:
        # Off the event loop: copying 50 MB, or decoding audio up to the limit, takes a while.
        video_path = audio_path = image_path = None
        if driving is not None:
            video_path = await asyncio.to_thread(uploads.save, driving, folder, "driving")
            await asyncio.to_thread(uploads.check_video, video_path, limits)
        if audio is not None:
            audio_path = await asyncio.to_thread(uploads.save, audio, folder, "audio")
            await asyncio.to_thread(uploads.check_audio, audio_path, limits)
        if image is not None:
            image_path = await asyncio.to_thread(uploads.save, image, folder, "photo")
            await asyncio.to_thread(uploads.check_image, image_path, limits)
        common = (options.avatar, image_path, options.size, options.format, folder)
        if video_path is not None:
            out = await state.pool.run(jobs.run_drive, models, store, cfg, video_path, audio_path, *common)
        else:
            out = await state.pool.run(
                jobs.run_generate, models, store, cfg, audio_path, options.text, *common
            )
    except BaseException:
        uploads.remove(folder)
        raise
    return FileResponse(
        out,
        media_type=MEDIA_TYPES[options.format],
        filename=f"avatar.{options.format}",
        background=BackgroundTask(uploads.remove, folder),  # after the file is sent
    )
