"""``/avatars``: enroll a photo, list the avatars, delete one."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel

from ...portrait import enroll, list_avatars, remove_avatar
from .. import uploads
from ..deps import Authorized, Ready, State

router = APIRouter(prefix="/avatars", tags=["avatars"], dependencies=[Authorized])


class AvatarInfo(BaseModel):
    id: str
    builtin: bool
    source: str | None = None


def _info(entry: dict[str, Any]) -> AvatarInfo:
    return AvatarInfo(id=entry["name"], builtin=bool(entry.get("builtin")), source=entry.get("source"))


@router.get("", summary="Every avatar: the built-in one first")
def get_avatars(state: State) -> list[AvatarInfo]:
    return [_info(a) for a in list_avatars()]


@router.post("", status_code=201, summary="Enroll a portrait photo as an avatar; returns its id")
async def post_avatar(
    state: State,
    models: Ready,
    image: Annotated[UploadFile, File(description="portrait photo: jpg, png, webp or bmp")],
    name: Annotated[
        str | None, Form(description="id to give it (default: from the file name, else from the photo)")
    ] = None,
) -> AvatarInfo:
    folder = uploads.workdir()
    try:
        path = await asyncio.to_thread(uploads.save, image, folder, "photo")
        await asyncio.to_thread(uploads.check_image, path, state.cfg.inference.server)
        avatar = await state.pool.run(enroll, path, name, uploads.client_filename(image.filename))
    finally:
        uploads.remove(folder)
    return AvatarInfo(id=avatar.name, builtin=False, source=avatar.meta.get("source"))


@router.delete(
    "/{avatar_id}",
    status_code=204,
    summary="Delete an enrolled avatar",
    responses={404: {"description": "no such avatar"}, 409: {"description": "the built-in avatar"}},
)
def delete_avatar(avatar_id: str) -> Response:
    remove_avatar(avatar_id)  # UnknownAvatarError: 404, BuiltinAvatarError: 409
    return Response(status_code=204)
