"""Telling a client that their coach shared something with them.

One action (a share form sent, homework added, a client joining a coach with
auto-share items) gives each client who gained access one ``resource_shared`` notice
(``loom.core.notices``), in the client's language, listing everything they gained;
it carries the email, and the client's preferences decide whether that goes out now,
in a digest, or not at all. The notice goes through the outbox inside the sharing
transaction: a rolled-back share tells nobody, and the worker sends after the commit.
The notice's source is made from the share rows the action wrote for that client
(their ids and change times), so the same action cannot queue a second notice, while
a later action always gets its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from loom.accounts.models import Language, User
from loom.core.email import email_payload
from loom.core.notices import Notice, notice_send
from loom.resources.models import Collection, Resource, Share

TEMPLATE = "resources/email/shared"
KIND = "resource_shared"


def _language(user: User) -> str:
    return user.language if user.language in Language.values else settings.LANGUAGE_CODE


def target_path(targets: Sequence[Resource | Collection]) -> str:
    """Where the client sees what they gained: the item itself, or their library."""
    if len(targets) == 1:
        [target] = targets
        if isinstance(target, Collection):
            return reverse("resources_client:collection", args=[target.pk])
        return reverse("resources_client:detail", args=[target.pk])
    return reverse("resources_client:library")


def _source(client: User, shares: Sequence[Share]) -> str:
    stamp = ",".join(
        sorted(f"{share.pk}@{share.updated_at.isoformat()}" for share in shares if share.pk)
    )
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:32]
    return f"resources-shared:{client.pk}:{digest}"


def _title(coach_name: str, targets: Sequence[Resource | Collection], *, welcome: bool) -> str:
    if welcome:
        return ngettext(
            "Welcome! %(coach)s shared %(count)d item with you",
            "Welcome! %(coach)s shared %(count)d items with you",
            len(targets),
        ) % {"coach": coach_name, "count": len(targets)}
    if len(targets) == 1:
        [target] = targets
        if isinstance(target, Collection):
            return _("%(coach)s shared the collection “%(title)s” with you") % {
                "coach": coach_name,
                "title": target.title,
            }
        return _("%(coach)s shared “%(title)s” with you") % {
            "coach": coach_name,
            "title": target.title,
        }
    return ngettext(
        "%(coach)s shared %(count)d resource with you",
        "%(coach)s shared %(count)d resources with you",
        len(targets),
    ) % {"coach": coach_name, "count": len(targets)}


def shares_notify(
    *,
    coach: User,
    client: User,
    targets: Sequence[Resource | Collection],
    shares: Sequence[Share],
    homework: bool = False,
    welcome: bool = False,
) -> None:
    """Tell ``client``, who gained ``targets`` now (one notice carrying the email)."""
    if not targets:
        return
    language = _language(client)
    path = target_path(targets)
    source = _source(client, shares)
    titles = [target.title for target in targets]
    with translation.override(language):
        title = _title(coach.display_name, targets, welcome=welcome)
        if homework:
            lead = _("%(coach)s gave you this as homework for your session.") % {
                "coach": coach.display_name
            }
        elif welcome:
            lead = _("Your coach %(coach)s set these aside for every new client.") % {
                "coach": coach.display_name
            }
        else:
            lead = _("Your coach %(coach)s shared this with you in Loom.") % {
                "coach": coach.display_name
            }
        body = ", ".join(f"“{item}”" for item in titles)
    context: dict[str, Any] = {
        "user_name": client.display_name,
        "subject_line": title,
        "lead": lead,
        "coach_name": coach.display_name,
        "titles": titles,
        "url": settings.LOOM_BASE_URL.rstrip("/") + path,
    }
    notice_send(
        Notice(
            user_id=client.pk,
            kind=KIND,
            source=source,
            title=title[:200],
            body=body,
            url=path,
            email=email_payload(
                template=TEMPLATE, context=context, language=language, time_zone=client.timezone
            ),
        )
    )
