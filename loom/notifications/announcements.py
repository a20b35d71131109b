"""System announcements: an admin writes one (in English and Hebrew); everyone in its
audience is told, each in their own language, through the ordinary notice door.

``announcement_create`` records and audits it and, after the commit, enqueues the
``announcement_send`` task. The task sends one ``Notice`` per active person (source
``announcement:<id>:<user>``, so running it twice tells nobody twice) and then stamps
``sent_at`` and the number of recipients.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import Role, User
from loom.core.audit import audit_record
from loom.core.context import system_context
from loom.core.email import email_payload
from loom.core.errors import NotFound
from loom.core.notices import Notice, notice_send
from loom.notifications.models import TITLE_MAX, Announcement
from loom.notifications.tokens import absolute

BATCH = 200
PAGE_SIZE = 25
TEMPLATE = "notifications/email/announcement"


def _clean(value: str) -> str:
    return " ".join((value or "").split())


@transaction.atomic
def announcement_create(
    *,
    actor: User,
    audience: str,
    title_en: str,
    body_en: str = "",
    title_he: str,
    body_he: str = "",
) -> Announcement:
    """Record an announcement and have it sent once this transaction commits."""
    if audience not in Announcement.Audience.values:
        raise ValidationError({"audience": _("Choose who the announcement is for.")})
    errors = {
        name: _("Write a title.")
        for name, value in (("title_en", title_en), ("title_he", title_he))
        if not _clean(value)
    }
    if errors:
        raise ValidationError(errors)
    announcement = Announcement.objects.create(
        author=actor,
        audience=audience,
        title_en=_clean(title_en)[:TITLE_MAX],
        body_en=(body_en or "").strip()[:2000],
        title_he=_clean(title_he)[:TITLE_MAX],
        body_he=(body_he or "").strip()[:2000],
    )
    audit_record(
        action="announcement.create",
        actor=actor,
        target=announcement,
        details={"audience": audience},
    )
    transaction.on_commit(partial(_enqueue, announcement.pk), robust=True)
    return announcement


def _enqueue(announcement_id: int) -> None:
    from loom.notifications.tasks import announcement_send

    announcement_send.enqueue(announcement_id)


def announcements_page(*, page: Any = 1) -> Page[Announcement]:
    """Announcements, newest first (for admins; RLS lets only active admins read them)."""
    rows = Announcement.objects.select_related("author").order_by("-created_at", "-id")
    return Paginator(rows, PAGE_SIZE).get_page(page)


def _audience(announcement: Announcement) -> QuerySet[User]:
    people = User.objects.filter(is_active=True)
    if announcement.audience == Announcement.Audience.COACHES:
        people = people.filter(role=Role.COACH)
    elif announcement.audience == Announcement.Audience.CLIENTS:
        people = people.filter(role=Role.CLIENT)
    return people.order_by("pk")


def _batches(people: QuerySet[User]) -> Iterator[list[User]]:
    last = 0
    while True:
        batch = list(people.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def announcement_notice(announcement: Announcement, user: User) -> Notice:
    hebrew = (user.language or "").startswith("he")
    title = announcement.title_he if hebrew else announcement.title_en
    body = announcement.body_he if hebrew else announcement.body_en
    url = reverse("notifications:list")
    return Notice(
        user_id=user.pk,
        kind="announcement",
        source=f"announcement:{announcement.pk}:{user.pk}",
        title=title,
        body=body,
        url=url,
        email=email_payload(
            template=TEMPLATE,
            context={
                "user_name": user.full_name,
                "title": title,
                "body": body,
                "url": absolute(url),
            },
            language=user.language,
            time_zone=user.timezone,
        ),
    )


def announcement_deliver(*, announcement_id: int) -> int:
    """Tell everyone in the audience (idempotent); returns how many people that is."""
    with system_context():
        announcement = Announcement.objects.filter(pk=announcement_id).first()
        if announcement is None:
            raise NotFound(_("This announcement does not exist."))
        count = 0
        for batch in _batches(_audience(announcement)):
            with transaction.atomic():
                for user in batch:
                    notice_send(announcement_notice(announcement, user))
            count += len(batch)
        Announcement.objects.filter(pk=announcement.pk).update(
            sent_at=timezone.now(), recipients=count
        )
    return count
