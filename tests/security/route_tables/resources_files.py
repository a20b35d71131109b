"""Authorization matrix rows for the resources files routes (see tests/security/routes.py).

Coach pages (upload, replace, captions, earlier versions) are Dana's: Eli gets 404 for
her resources, clients and the admin are sent home. The file views serve Dana and Avi
(a share gives it to him); Eli, Maya and the admin get 404. Empty POSTs are refused as
400 (no file), after the access check.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from loom.resources.models import ResourceKind, ResourceVersion
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share
from tests.security.matrix import (
    BAD_REQUEST,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    coaches,
    expect,
    signed_in,
)
from tests.world import World

COACH_OBJECT = coaches(OK, other_coach=NOT_FOUND)
COACH_POST = coaches(BAD_REQUEST, other_coach=NOT_FOUND)
# Dana and Avi in; everyone else signed in gets 404.
SHARED = expect(NOT_FOUND, anonymous=LOGIN, coach=OK, client=OK)


def dana_pdf(world: World) -> dict[str, Any]:
    return {"pk": make_resource(world.dana).pk}


def dana_video(world: World) -> dict[str, Any]:
    resource = make_resource(
        world.dana,
        kind=ResourceKind.VIDEO,
        title="Breathing",
        content=media.webm_bytes(),
        file_kind="webm",
        content_type="video/webm",
    )
    return {"pk": resource.pk}


def dana_pdf_with_version(world: World) -> dict[str, Any]:
    resource = make_resource(world.dana)
    earlier = ResourceVersion(
        coach=world.dana,
        resource=resource,
        version=1,
        file_kind="pdf",
        content_type="application/pdf",
        size_bytes=len(media.pdf_bytes()),
        original_name="Worksheet (old).pdf",
    )
    earlier.file.save("old", ContentFile(media.pdf_bytes()), save=False)
    earlier.save()
    resource.version = 2
    resource.save(update_fields=["version"])
    return {"pk": resource.pk, "version": 1}


def shared_pdf(world: World) -> dict[str, Any]:
    resource = make_resource(world.dana)
    share(resource, world.avi)
    return {"pk": resource.pk}


def shared_video_with_captions(world: World) -> dict[str, Any]:
    resource = make_resource(
        world.dana,
        kind=ResourceKind.VIDEO,
        content=media.webm_bytes(),
        file_kind="webm",
        content_type="video/webm",
    )
    resource.captions.save("captions", ContentFile(media.vtt_text()), save=False)
    resource.captions_language = "en"
    resource.save()
    share(resource, world.avi)
    return {"pk": resource.pk}


def shared_collection_with_cover(world: World) -> dict[str, Any]:
    collection = make_collection(world.dana, make_resource(world.dana))
    collection.cover.save("cover", ContentFile(media.png_bytes()), save=False)
    collection.cover_content_type = "image/png"
    collection.save()
    share(collection, world.avi)
    return {"pk": collection.pk}


ROUTES: list[Route] = [
    Route(
        "coach/resources/upload/",
        get=coaches(OK),
        post=coaches(BAD_REQUEST),
        note="an empty form has no file: 400",
    ),
    Route(
        "coach/resources/<int:pk>/replace/",
        args=dana_pdf,
        missing="coach",
        get=COACH_OBJECT,
        post=COACH_POST,
    ),
    Route(
        "coach/resources/<int:pk>/captions/",
        args=dana_video,
        missing="coach",
        get=COACH_OBJECT,
        post=COACH_POST,
    ),
    Route(
        "coach/resources/<int:pk>/versions/<int:version>/file/",
        args=dana_pdf_with_version,
        missing="coach",
        get=COACH_OBJECT,
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        "resources/<int:pk>/file/",
        args=shared_pdf,
        missing="coach",
        get=SHARED,
        post=signed_in(NOT_ALLOWED),
    ),
    Route(
        "resources/<int:pk>/captions.vtt",
        args=shared_video_with_captions,
        missing="coach",
        get=SHARED,
        post=signed_in(NOT_ALLOWED),
    ),
    Route(
        "resources/collections/<int:pk>/cover/",
        args=shared_collection_with_cover,
        missing="coach",
        get=SHARED,
        post=signed_in(NOT_ALLOWED),
    ),
]
