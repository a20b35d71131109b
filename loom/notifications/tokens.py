"""Signed unsubscribe links: who and which emails, no sign-in needed.

A token names a person and a scope — one kind (``session_booked``) or a digest
category (``digest:messages``) — signed with the site's key and a salt of its own,
so it is useless anywhere else. It does not expire: an email may be read months
later, and all it can do is turn those emails off, which the person can undo on the
preferences page.
"""

from __future__ import annotations

from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.urls import reverse

from loom.core.notices import DIGEST_CATEGORY, KINDS

SALT = "loom.notifications.unsubscribe"
DIGEST_PREFIX = "digest:"


def scope_kinds(scope: str) -> list[str]:
    """The kinds a scope turns email off for (empty for an unknown scope)."""
    if scope.startswith(DIGEST_PREFIX):
        category = scope.removeprefix(DIGEST_PREFIX)
        return [kind for kind, cat in DIGEST_CATEGORY.items() if cat == category]
    return [scope] if scope in KINDS else []


def unsubscribe_token(*, user_id: int, scope: str) -> str:
    if not scope_kinds(scope):
        raise ValueError(f"Unknown unsubscribe scope {scope!r}.")
    return signing.dumps({"u": int(user_id), "s": scope}, salt=SALT)


class BadUnsubscribeToken(Exception):
    pass


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """``(user id, scope)`` of a genuine token; ``BadUnsubscribeToken`` otherwise."""
    try:
        data = signing.loads(token, salt=SALT)
        user_id, scope = int(data["u"]), str(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadUnsubscribeToken(str(exc)) from exc
    if user_id <= 0 or not scope_kinds(scope):
        raise BadUnsubscribeToken("unknown scope")
    return user_id, scope


def absolute(path: str) -> str:
    return urljoin(settings.LOOM_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


def unsubscribe_url(*, user_id: int, scope: str) -> str:
    token = unsubscribe_token(user_id=user_id, scope=scope)
    return absolute(reverse("notifications:unsubscribe", args=[token]))


def preferences_url() -> str:
    return absolute(reverse("notifications:preferences"))


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: mail clients offer a one-click "unsubscribe"."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
