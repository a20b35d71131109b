"""A row in every ``loom.*`` table, with a marker in every private text (tests/admin).

``populate(marker)`` makes a new coach and client (factories) and writes one or more
rows per model for them, putting ``marker`` into every encrypted field and every
plain-text column the Django admin must never show. Encrypted fields encrypt on
save, exactly as through the services. Calling it twice doubles every table, which
is how the query-count tests prove the changelists are constant.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Model
from django.utils import timezone

from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    ConsentRecord,
    CrisisSignal,
    Invitation,
    SecurityPolicy,
    SmsCode,
    SmsMessageLog,
    User,
)
from loom.analytics.models import (
    DailyActivity,
    Event,
    Export,
    KpiValue,
    NpsResponse,
    RollupRun,
    RollupState,
)
from loom.core.audit import audit_record
from loom.core.models import OutboxMessage, UserEvent, UserStream, WorkerHeartbeat
from loom.journal.models import Comment, Entry, Intention, Prompt
from loom.messaging.models import (
    Attachment,
    Conversation,
    Message,
    MessageEdit,
    MessagingPreference,
    Participant,
    Reaction,
)
from loom.notifications.models import (
    Announcement,
    ChannelChoice,
    DigestItem,
    Notification,
    NotificationDelivery,
    NotificationSettings,
    PushSubscription,
)
from loom.resources.models import (
    Category,
    Collection,
    CollectionItem,
    Resource,
    ResourceProgress,
    ResourceTag,
    ResourceVersion,
    ResourceView,
    SessionHomework,
    Share,
    Tag,
)
from loom.scheduling.models import (
    ActionItem,
    AvailabilityOverride,
    CalendarFeed,
    ClientSessionReflection,
    CoachSchedulingSettings,
    Reminder,
    ReminderPreferences,
    Session,
    SessionAttachment,
    SessionEvent,
    SessionPrivateNote,
    SessionSeat,
    SessionSummary,
    SessionType,
    WaitlistEntry,
    WeeklyAvailability,
)
from loom.wellbeing.models import CheckIn, Goal, GoalActionItem, Milestone, SharingPreference
from tests.factories import ClientFactory, CoachFactory

PHONE = "+15550142777"


@dataclass
class Batch:
    marker: str
    coach: User
    client: User
    rows: dict[type[Model], Model] = field(default_factory=dict)

    def add(self, *objects: Model) -> None:
        for obj in objects:
            self.rows.setdefault(type(obj), obj)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def populate(marker: str, *, admin: User | None = None) -> Batch:
    """Write a row in every loom table for a new coach and client; see the module docstring."""
    now = timezone.now()
    coach = CoachFactory(full_name=f"Coach {marker[-4:]}")
    client = ClientFactory(full_name=f"Client {marker[-4:]}")
    client.phone = PHONE
    client.save(update_fields=["phone"])
    batch = Batch(marker=marker, coach=coach, client=client)
    add = batch.add
    link = CoachClient.objects.create(coach=coach, client=client)
    profile = ClientProfile.objects.get(user=client)
    profile.goals = marker
    profile.reason = marker
    profile.save()
    add(link, profile, coach.coach_profile, coach.onboarding, coach)

    # --- core ---------------------------------------------------------------------------
    add(
        OutboxMessage.objects.create(
            channel="email",
            recipient=client.email,
            payload={"subject": "Hello", "text": marker, "html": f"<p>{marker}</p>"},
        ),
        audit_record(action="test.admin_pages", actor=coach, target=client),
        UserStream.objects.create(user=client, last_seq=1, last_active_at=now),
        UserEvent.objects.create(user=client, seq=1, kind="message", data={"body": marker}),
        WorkerHeartbeat.objects.create(name=f"loop-{marker[-4:]}", last_line="drained 3"),
    )

    # --- accounts -----------------------------------------------------------------------
    add(
        Invitation.objects.create(
            coach=coach,
            email=f"invitee-{marker.lower()}@example.com",
            message=marker,
            token_hash=_hash(marker),
            expires_at=now + timedelta(days=7),
        ),
        ConsentRecord.objects.create(user=client, document="terms", version="2026-01"),
        SmsCode.objects.create(
            user=client,
            purpose="verify_phone",
            phone=PHONE,
            code_hash=_hash(f"code{marker}"),
            expires_at=now + timedelta(minutes=5),
        ),
        SmsMessageLog.objects.create(to="+15550100000", body=f"Your Loom code: {marker}"),
        SecurityPolicy.current(),
        CrisisSignal.objects.create(
            client=client,
            source="checkin",
            source_id=1,
            severity="concern",
            matched=["en.hopeless"],
            review_note=marker,
        ),
    )

    # --- scheduling ---------------------------------------------------------------------
    one_to_one = SessionType.objects.create(
        coach=coach, name_en="Coaching", location_kind="in_person", address=marker
    )
    group_type = SessionType.objects.create(coach=coach, name_en="Circle", capacity=4)
    start = now + timedelta(days=3)
    session = Session.objects.create(
        coach=coach,
        client=client,
        session_type=one_to_one,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone="UTC",
        cancellation_reason=marker,
        meeting_url=f"https://meet.example.com/{marker}",
    )
    group = Session.objects.create(
        coach=coach,
        client=None,
        capacity=4,
        session_type=group_type,
        starts_at=start + timedelta(hours=3),
        ends_at=start + timedelta(hours=4),
        coach_timezone="UTC",
    )
    action_item = ActionItem.objects.create(
        session=session, coach=coach, client=client, title=marker, details=marker
    )
    add(
        CoachSchedulingSettings.objects.create(
            coach=coach, own_meeting_url=f"https://meet.example.com/own-{marker}"
        ),
        one_to_one,
        WeeklyAvailability.objects.create(
            coach=coach, weekday=0, start_time="09:00", end_time="12:00"
        ),
        AvailabilityOverride.objects.create(
            coach=coach, date=(now + timedelta(days=10)).date(), kind="unavailable_day"
        ),
        session,
        SessionEvent.objects.create(
            session=session, actor=coach, occurred_at=now, kind="booked", reason=marker
        ),
        SessionSeat.objects.create(session=group, client=client, cancellation_reason=marker),
        WaitlistEntry.objects.create(session=group, client=ClientFactory()),
        SessionPrivateNote.objects.create(session=session, coach=coach, body=marker),
        SessionSummary.objects.create(session=session, body=marker),
        ClientSessionReflection.objects.create(
            session=session, client=client, preparation=marker, reflection=marker
        ),
        action_item,
        SessionAttachment.objects.create(
            session=session,
            uploaded_by=client,
            file=f"sessions/{session.pk}/upload",
            original_name=f"{marker}.pdf",
            content_type="application/pdf",
            size_bytes=1234,
        ),
        Reminder.objects.create(
            session=session,
            recipient=client,
            channel="email",
            offset_minutes=60,
            due_at=start - timedelta(hours=1),
        ),
        ReminderPreferences.objects.create(user=client),
        CalendarFeed.objects.create(user=client, token_hash=_hash(f"feed{marker}")),
    )

    # --- resources ----------------------------------------------------------------------
    category = Category.objects.create(coach=coach, name="Worksheets")
    tag = Tag.objects.create(coach=coach, name="breathing")
    resource = Resource.objects.create(
        coach=coach,
        kind="document",
        title="Breathing worksheet",
        description=marker,
        category=category,
        file=f"resources/{coach.pk}/file",
        file_kind="PDF",
        content_type="application/pdf",
        size_bytes=2048,
        original_name=f"{marker}.pdf",
        search_text=marker,
    )
    link_resource = Resource.objects.create(
        coach=coach, kind="link", title="A talk", url=f"https://example.com/{marker}"
    )
    collection = Collection.objects.create(coach=coach, title="Week one", description=marker)
    add(
        resource,
        link_resource,
        category,
        tag,
        ResourceTag.objects.create(coach=coach, resource=resource, tag=tag),
        ResourceVersion.objects.create(
            coach=coach,
            resource=resource,
            version=1,
            file=f"resources/{coach.pk}/old",
            file_kind="PDF",
            content_type="application/pdf",
            size_bytes=1000,
            original_name=f"{marker}-v1.pdf",
        ),
        collection,
        CollectionItem.objects.create(coach=coach, collection=collection, resource=resource),
        Share.objects.create(coach=coach, client=client, resource=resource),
        ResourceProgress.objects.create(
            coach=coach, client=client, resource=resource, view_count=2, played=[[0, 30]]
        ),
        ResourceView.objects.create(coach=coach, client=client, resource=resource),
        SessionHomework.objects.create(
            coach=coach, client=client, session=session, resource=resource
        ),
    )

    # --- messaging ----------------------------------------------------------------------
    conversation, _created = Conversation.objects.get_or_create(coach=coach, client=client)
    message = Message.objects.create(
        conversation=conversation, sender=client, body=marker, body_html=f"<p>{marker}</p>"
    )
    conversation.last_message = message
    conversation.last_message_at = message.created_at
    conversation.save(update_fields=["last_message", "last_message_at"])
    add(
        conversation,
        Participant.objects.get_or_create(conversation=conversation, user=client)[0],
        message,
        MessageEdit.objects.create(message=message, body=marker),
        Reaction.objects.create(message=message, user=coach, emoji="👍"),
        Attachment.objects.create(
            conversation=conversation,
            uploader=client,
            message=message,
            file="messaging/2026/11/abc",
            name=f"{marker}.png",
            content_type="image/png",
            size=100,
            kind="image",
        ),
        MessagingPreference.objects.create(user=client),
    )

    # --- notifications ------------------------------------------------------------------
    notification = Notification.objects.create(
        user=client,
        kind="message",
        title=marker,
        body=marker,
        url=f"/messages/{marker}/",
        source=f"test:{marker}",
    )
    outbox = OutboxMessage.objects.create(channel="notice_email", recipient=client.email)
    add(
        notification,
        NotificationDelivery.objects.create(
            notification=notification, channel="email", state="sent", outbox_message=outbox
        ),
        ChannelChoice.objects.create(user=client, kind="message", channel="email", enabled=False),
        NotificationSettings.objects.create(user=client),
        DigestItem.objects.create(user=client, notification=notification, category="messages"),
        PushSubscription.objects.create(
            user=client,
            endpoint=f"https://push.example.com/{marker}",
            p256dh=f"key-{marker}",
            auth=f"auth-{marker}",
            device_label="Firefox on Linux",
        ),
        Announcement.objects.create(
            author=admin, title_en="Maintenance tonight", title_he="תחזוקה הלילה"
        ),
    )

    # --- journal and wellbeing ----------------------------------------------------------
    prompt = Prompt.objects.create(coach=coach, text=marker)
    entry = Entry.objects.create(
        author=client,
        written_on=now.date(),
        title=marker,
        body=marker,
        prompt=prompt,
        mood=3,
        emotions=["sad"],
        shared_with=coach,
        shared_at=now,
    )
    goal = Goal.objects.create(client=client, title=marker, why=marker, measure=marker)
    add(
        prompt,
        entry,
        Comment.objects.create(entry=entry, author=coach, body=marker),
        Intention.objects.create(client=client, day=now.date(), text=marker),
        CheckIn.objects.create(
            client=client,
            timezone="UTC",
            local_date=now.date(),
            local_hour=now.hour,
            pleasantness=2,
            energy=3,
            trigger=marker,
            thoughts=marker,
            behaviour=marker,
            note=marker,
        ),
        SharingPreference.objects.create(client=client),
        goal,
        Milestone.objects.create(goal=goal, title=marker),
        GoalActionItem.objects.create(goal=goal, action_item=action_item),
    )

    # --- analytics ----------------------------------------------------------------------
    add(
        Event.objects.create(occurred_at=now, user=client, role="client", name="sign_in"),
        DailyActivity.objects.create(
            day=now.date(), user=client, role="client", events=1, first_at=now, last_at=now
        ),
        KpiValue.objects.create(
            kpi=f"kpi_{marker[-4:]}", period="week", period_start=now.date(), value=1.0
        ),
        RollupState.objects.create(job=f"job-{marker[-4:]}"),
        RollupRun.objects.create(job="daily_activity", events_read=10),
        NpsResponse.objects.create(
            user=client,
            role="client",
            language="en",
            trigger="monthly",
            period=f"{now:%Y-%m}",
            score=9,
            comment=marker,
            answered_at=now,
        ),
        Export.objects.create(
            requested_by=coach,
            table="coach.clients",
            params={"client": marker},
            format="csv",
            language="en",
            timezone="UTC",
        ),
    )
    return batch


def loom_models() -> list[type[Model]]:
    from django.apps import apps

    return [model for model in apps.get_models() if model.__module__.startswith("loom.")]


def model_key(model: type[Any]) -> str:
    return model._meta.label_lower
