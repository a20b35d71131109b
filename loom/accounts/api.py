"""Account endpoints of the JSON API (the signed-in user, roster, invitations)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    language: str
    timezone: str


@router.get("/me", response=MeOut, url_name="me")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        id=user.pk,
        email=user.email,  # type: ignore[union-attr]
        full_name=user.full_name,  # type: ignore[union-attr]
        role=user.role,  # type: ignore[union-attr]
        language=user.language,  # type: ignore[union-attr]
        timezone=user.timezone,  # type: ignore[union-attr]
    )
