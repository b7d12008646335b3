"""``/avatars``: enroll a photo, list the avatars, delete one."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel

from .. import uploads
from ..deps import Authorized, Avatars, Ready, State

router = APIRouter(prefix="/avatars", tags=["avatars"], dependencies=[Authorized])


class AvatarInfo(BaseModel):
    id: str
    builtin: bool
    source: str | None = None


def _info(entry: dict[str, Any]) -> AvatarInfo:
    return AvatarInfo(id=entry["name"], builtin=bool(entry.get("builtin")), source=entry.get("source"))


@router.get(
    "",
    summary="Every avatar: the built-in one first",
    responses={503: {"description": "the avatar store is unreachable (Retry-After)"}},
)
def get_avatars(store: Avatars) -> list[AvatarInfo]:
    return [_info(a) for a in store.list()]


@router.post(
    "",
    status_code=201,
    summary="Enroll a portrait photo as an avatar; returns its id",
    responses={503: {"description": "busy, or the avatar store unreachable (Retry-After); or still loading"}},
)
async def post_avatar(
    state: State,
    models: Ready,
    store: Avatars,
    image: Annotated[UploadFile, File(description="portrait photo: jpg, png, webp or bmp")],
    name: Annotated[
        str | None, Form(description="id to give it (default: from the file name, else from the photo)")
    ] = None,
) -> AvatarInfo:
    folder = uploads.workdir()
    try:
        path = await asyncio.to_thread(uploads.save, image, folder, "photo")
        await asyncio.to_thread(uploads.check_image, path, state.cfg.inference.server)
        avatar = await state.pool.run(store.enroll, path, name, uploads.client_filename(image.filename))
    finally:
        uploads.remove(folder)
    return AvatarInfo(id=avatar.name, builtin=False, source=avatar.meta.get("source"))


@router.delete(
    "/{avatar_id}",
    status_code=204,
    summary="Delete an enrolled avatar",
    responses={
        404: {"description": "no such avatar"},
        409: {"description": "the built-in avatar"},
        503: {"description": "the avatar store is unreachable (Retry-After)"},
    },
)
def delete_avatar(avatar_id: str, store: Avatars) -> Response:
    store.remove(avatar_id)  # UnknownAvatarError: 404, BuiltinAvatarError: 409
    return Response(status_code=204)
