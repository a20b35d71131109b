"""Product events from the other apps' writes, without those apps knowing analytics exists.

Each receiver is O(1) and queries nothing: who acted comes from the saved row's
``*_id`` column, the role from the row itself, a related object already loaded, or the
current request's signed-in person (``middleware.acting_role``); when none knows it, the
event writer reads it in the statement that writes the event. Events are written after
the transaction commits (``event_record``), so a rolled-back write records nothing.
Each event takes its time from the row (``created_at``, ``occurred_at``, …): the moment
the action was stored, which is also right for rows written with past times (demo data).

Rows loaded from fixtures (``raw`` saves) record nothing.

Sources, chosen so each action is counted once, by the person who did it:

* ``sign_in``: Django's ``user_logged_in`` (allauth signs in through ``login()``, so its
  own signal would count the same sign-in twice).
* ``booking``: the session's history row (``SessionEvent`` booked / requested / seat
  taken) names the booker as its ``actor`` — the client, or the coach when a coach
  books or creates a group session — which the ``Session`` row itself does not.
* ``resource_opened``: ``ResourceView`` rows, which the resources app writes once per
  opening (reloads within its dedupe window are not new rows).
* ``resource_shared``: a ``Share`` the coach made (not the automatic share written when
  a client joins); one event per transaction, as sharing with all clients is one action.
* ``journal_shared`` and ``nps_answered``: the moment a field becomes set
  (``Entry.shared_at``, ``NpsResponse.answered_at``), seen by comparing with the value
  loaded (remembered at ``post_init``) or, when it was not loaded, by ``update_fields``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models import Model
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from loom.analytics.events import event_record
from loom.analytics.middleware import TRACKED_ROLES, acting_role
from loom.analytics.models import EventName, NpsResponse
from loom.journal.models import Entry
from loom.messaging.models import Message
from loom.resources.models import Resource, ResourceView, Share, ShareSource
from loom.scheduling.models import SessionEvent, SessionEventKind
from loom.wellbeing.models import CheckIn, Goal

_BOOKING_KINDS = frozenset(
    {SessionEventKind.BOOKED, SessionEventKind.REQUESTED, SessionEventKind.SEAT_TAKEN}
)
_UNKNOWN = object()


def _loaded_role(instance: Model, field: str, user_id: int | None) -> str:
    """The role of the user in ``instance.<field>``, if known without a query."""
    related = instance._state.fields_cache.get(field)
    role = getattr(related, "role", "") if related is not None else ""
    return role if role in TRACKED_ROLES else acting_role(user_id)


# --- Signing in ---------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="analytics_sign_in")
def _sign_in(sender: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and getattr(user, "pk", None):
        event_record(user=user, name=EventName.SIGN_IN, role=str(getattr(user, "role", "")))


# --- Sessions -----------------------------------------------------------------------------


@receiver(post_save, sender=SessionEvent, dispatch_uid="analytics_booking")
def _booking(sender: Any, instance: SessionEvent, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created and instance.kind in _BOOKING_KINDS and instance.actor_id:
        event_record(
            user=instance.actor_id,
            name=EventName.BOOKING,
            role=_loaded_role(instance, "actor", instance.actor_id),
            at=instance.occurred_at,
        )


# --- Messages -----------------------------------------------------------------------------


@receiver(post_save, sender=Message, dispatch_uid="analytics_message_sent")
def _message_sent(sender: Any, instance: Message, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created and instance.sender_id:
        event_record(
            user=instance.sender_id,
            name=EventName.MESSAGE_SENT,
            role=_loaded_role(instance, "sender", instance.sender_id),
            at=instance.created_at,
        )


# --- Resources ----------------------------------------------------------------------------


@receiver(post_save, sender=Resource, dispatch_uid="analytics_resource_uploaded")
def _resource_uploaded(sender: Any, instance: Resource, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created and instance.coach_id:
        event_record(
            user=instance.coach_id,
            name=EventName.RESOURCE_UPLOADED,
            role="coach",
            at=instance.created_at,
        )


@receiver(post_save, sender=Share, dispatch_uid="analytics_resource_shared")
def _resource_shared(sender: Any, instance: Share, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created and instance.coach_id and instance.source != ShareSource.AUTO:
        event_record(
            user=instance.coach_id,
            name=EventName.RESOURCE_SHARED,
            role="coach",
            at=instance.created_at,
            once_per_transaction=True,
        )


@receiver(post_save, sender=ResourceView, dispatch_uid="analytics_resource_opened")
def _resource_opened(sender: Any, instance: ResourceView, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created and instance.client_id:
        event_record(
            user=instance.client_id,
            name=EventName.RESOURCE_OPENED,
            role="client",
            at=instance.viewed_at,
        )


# --- Journal ------------------------------------------------------------------------------


def _remember(instance: Model, field: str) -> None:
    # A deferred field is not in __dict__; reading it would cost a query per row.
    instance.__dict__[f"_analytics_{field}"] = instance.__dict__.get(field, _UNKNOWN)


def _became_set(instance: Model, field: str, created: bool, update_fields: Any) -> bool:
    """Whether this save set ``field`` to a value it did not have when loaded."""
    value = instance.__dict__.get(field)
    before = instance.__dict__.get(f"_analytics_{field}", _UNKNOWN)
    instance.__dict__[f"_analytics_{field}"] = value
    if value is None:
        return False
    if created:
        return True
    if update_fields is not None and field not in update_fields:
        return False
    if before is _UNKNOWN:
        # Not loaded: an explicit write of the field is the change.
        return update_fields is not None
    return bool(before != value)


@receiver(post_init, sender=Entry, dispatch_uid="analytics_entry_loaded")
def _entry_loaded(sender: Any, instance: Entry, **kwargs: Any) -> None:
    _remember(instance, "shared_at")


@receiver(post_save, sender=Entry, dispatch_uid="analytics_journal")
def _journal(
    sender: Any, instance: Entry, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if kwargs.get("raw") or not instance.author_id:
        return
    if created:
        event_record(
            user=instance.author_id,
            name=EventName.JOURNAL_ENTRY,
            role="client",
            at=instance.created_at,
        )
    if _became_set(instance, "shared_at", created, update_fields):
        event_record(
            user=instance.author_id,
            name=EventName.JOURNAL_SHARED,
            role="client",
            at=instance.shared_at,
        )


# --- Wellbeing ----------------------------------------------------------------------------


@receiver(post_save, sender=CheckIn, dispatch_uid="analytics_checkin")
def _checkin(sender: Any, instance: CheckIn, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created and instance.client_id:
        # created_at, not occurred_at: a check-in can be about an earlier moment.
        event_record(
            user=instance.client_id, name=EventName.CHECKIN, role="client", at=instance.created_at
        )


@receiver(post_save, sender=Goal, dispatch_uid="analytics_goal_created")
def _goal_created(sender: Any, instance: Goal, created: bool, **kwargs: Any) -> None:
    # A goal the coach proposes is the coach's suggestion; the client accepting it is
    # not "setting a goal" (Appendix A counts goals clients set themselves).
    if kwargs.get("raw"):
        return
    if created and instance.client_id and instance.proposed_by_id is None:
        event_record(
            user=instance.client_id,
            name=EventName.GOAL_CREATED,
            role="client",
            at=instance.created_at,
        )


# --- NPS ----------------------------------------------------------------------------------


@receiver(post_init, sender=NpsResponse, dispatch_uid="analytics_nps_loaded")
def _nps_loaded(sender: Any, instance: NpsResponse, **kwargs: Any) -> None:
    _remember(instance, "answered_at")


@receiver(post_save, sender=NpsResponse, dispatch_uid="analytics_nps_answered")
def _nps_answered(
    sender: Any, instance: NpsResponse, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if kwargs.get("raw"):
        return
    if instance.user_id and _became_set(instance, "answered_at", created, update_fields):
        role = instance.role if instance.role in TRACKED_ROLES else ""
        event_record(
            user=instance.user_id, name=EventName.NPS_ANSWERED, role=role, at=instance.answered_at
        )
