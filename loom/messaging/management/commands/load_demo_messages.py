"""``loom load_demo_messages``: conversations between the demo coaches and their clients.

Each active client of the demo coaches gets a short history with their coach in the
client's language: light formatting, a reply, reactions, an edited message (with its
earlier text kept) and read state that leaves the newest message unread for the
client, so the badges show. Written in the system context with past times, so no
notification is sent for old demo messages. Idempotent: a conversation that already
has messages is left alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from loom.accounts.models import CoachClient, User
from loom.core.context import system_context
from loom.core.markdown import render_markdown
from loom.messaging.models import Conversation, Message, MessageEdit, Participant, Reaction
from loom.messaging.services import conversation_for_pair

DEMO_COACHES = ("yael.benami@example.com", "rachel.adler@example.com")
NAMESPACE = uuid.UUID("6f1c1f4e-3a55-4c1e-9d1a-6d2b8f0e7a11")


@dataclass(frozen=True)
class Line:
    by: str  # "coach" or "client"
    body: str
    hours_ago: float
    reply_to: int | None = None  # index of an earlier line
    earlier: str = ""  # the text before an edit
    reactions: tuple[tuple[str, str], ...] = ()  # (who, emoji)


SCRIPTS: dict[str, tuple[Line, ...]] = {
    "en": (
        Line(
            "coach",
            "Hi {first}! This is our space between sessions. Write whenever something comes up.",
            70,
            reactions=(("client", "❤️"),),
        ),
        Line(
            "client",
            "Thanks! I tried the **morning pages** exercise today. It was harder than I expected.",
            52,
        ),
        Line("coach", "That's normal in the first week. What made it hard?", 50, reply_to=1),
        Line(
            "client",
            "Mostly finding ten quiet minutes before everyone wakes up. My plan:\n\n"
            "- alarm at 6:15\n- phone stays in the kitchen",
            26,
            earlier="Mostly finding ten quiet minutes before everyone wakes up.",
            reactions=(("coach", "👏"),),
        ),
        Line(
            "coach",
            "Great plan. Let's look at how the week went in our next session 🌱 "
            "Here is the article I mentioned: [Small habits](https://en.wikipedia.org/wiki/Habit)",
            3,
        ),
    ),
    "he": (
        Line(
            "coach",
            "היי {first}! זה המקום שלנו בין הפגישות. אפשר לכתוב כאן בכל פעם שעולה משהו.",
            70,
            reactions=(("client", "❤️"),),
        ),
        Line("client", "תודה! ניסיתי היום את תרגיל **דפי הבוקר**. היה קשה יותר ממה שחשבתי.", 52),
        Line("coach", "זה טבעי בשבוע הראשון. מה היה הכי קשה?", 50, reply_to=1),
        Line(
            "client",
            "בעיקר למצוא עשר דקות של שקט לפני שכולם מתעוררים. התוכנית שלי:\n\n"
            "- שעון מעורר ב-6:15\n- הטלפון נשאר במטבח",
            26,
            earlier="בעיקר למצוא עשר דקות של שקט לפני שכולם מתעוררים.",
            reactions=(("coach", "👏"),),
        ),
        Line(
            "coach",
            "תוכנית מצוינת. נסתכל יחד איך עבר השבוע בפגישה הבאה 🌱 "
            "וזה המאמר שהזכרתי: [Habit](https://he.wikipedia.org/wiki/הרגל)",
            3,
        ),
    ),
}


def _first_name(user: User) -> str:
    return (user.full_name or user.display_name).split(" ")[0]


def _load_conversation(conversation: Conversation, coach: User, client: User, now: Any) -> int:
    script = SCRIPTS["he" if client.language == "he" else "en"]
    people = {"coach": coach, "client": client}
    stored: list[Message] = []
    for index, line in enumerate(script):
        body = line.body.format(first=_first_name(client))
        sent_at = now - timedelta(hours=line.hours_ago)
        message = Message.objects.create(
            conversation=conversation,
            sender=people[line.by],
            client_id=uuid.uuid5(NAMESPACE, f"{conversation.pk}:{index}"),
            body=body,
            body_html=render_markdown(body),
            reply_to=stored[line.reply_to] if line.reply_to is not None else None,
            created_at=sent_at,
            edited_at=sent_at + timedelta(minutes=4) if line.earlier else None,
        )
        if line.earlier:
            MessageEdit.objects.create(
                message=message, body=line.earlier, replaced_at=sent_at + timedelta(minutes=4)
            )
        for who, emoji in line.reactions:
            Reaction.objects.create(
                message=message, user=people[who], emoji=emoji, created_at=sent_at
            )
        stored.append(message)
    last = stored[-1]
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=last, last_message_at=last.created_at
    )
    # The coach has read everything; the client has not seen the newest message yet.
    Participant.objects.filter(conversation=conversation, user=coach).update(
        last_read_message_id=last.pk, last_read_at=last.created_at
    )
    Participant.objects.filter(conversation=conversation, user=client).update(
        last_read_message_id=stored[-2].pk, last_read_at=stored[-2].created_at
    )
    return len(stored)


def load_demo_messages(now: Any = None) -> int:
    """Load the demo conversations; returns how many messages were added."""
    now = now or timezone.now()
    added = 0
    with system_context(), transaction.atomic():
        links = CoachClient.objects.filter(
            coach__email__in=DEMO_COACHES, status=CoachClient.Status.ACTIVE
        ).select_related("coach", "client")
        for link in links:
            conversation = conversation_for_pair(coach=link.coach, client=link.client)
            if Message.objects.filter(conversation=conversation).exists():
                continue
            added += _load_conversation(conversation, link.coach, link.client, now)
    return added


class Command(BaseCommand):
    help = "Load demo conversations between the demo coaches and their clients (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when neither DEBUG nor LOOM_DEMO_MODE is on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.LOOM_DEMO_MODE or options["force"]):
            raise CommandError(
                "Refusing to load demo data: turn on LOOM_DEMO_MODE or pass --force."
            )
        with system_context():
            present = User.objects.filter(email__in=DEMO_COACHES).exists()
        if not present:
            raise CommandError("No demo coaches yet: run `loom load_demo_data` first.")
        added = load_demo_messages()
        if added:
            self.stdout.write(self.style.SUCCESS(f"Demo messages loaded: {added} messages added."))
        else:
            self.stdout.write("Demo messages already present; nothing changed.")
