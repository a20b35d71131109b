"""``loom load_demo_data``: bilingual demo people for `make demo`.

Two coaches (Yael works in Hebrew, Rachel in English), eight clients with profiles
and intake answers, an archived client, two open invitations and an admin, all with
verified addresses and finished onboarding. Idempotent: people, links and
invitations that already exist are left exactly as they are, so running it again
changes nothing. ``loom demo_signins`` prints how to sign in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    CoachProfile,
    ConsentRecord,
    Invitation,
    Onboarding,
    Role,
    User,
)
from loom.accounts.selectors import invitation_token_hash
from loom.core.context import system_context

# Shown by `loom demo_signins` and in the README. Demo only: the command refuses to
# run outside DEBUG / demo mode unless forced.
DEMO_PASSWORD = "quiet harbour lantern"  # noqa: S105


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    role: str
    language: str
    timezone: str
    headline: str = ""
    bio: str = ""
    specialties: tuple[str, ...] = ()
    languages_spoken: tuple[str, ...] = ()
    goals: str = ""
    reason: str = ""
    coach: str = ""  # the coach's email, for clients
    archived: bool = False
    joined_days_ago: int = 30


@dataclass(frozen=True)
class DemoInvitation:
    coach: str
    email: str
    full_name: str
    language: str
    message: str = ""


YAEL = "yael.benami@example.com"
RACHEL = "rachel.adler@example.com"
ADMIN = "admin@example.com"

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        email=YAEL,
        full_name="יעל בן-עמי",
        role=Role.COACH,
        language="he",
        timezone="Asia/Jerusalem",
        headline="מאמנת אישית לאיזון בין קריירה, הורות ומשמעות",
        bio=(
            "אני מלווה אנשים בצמתים של שינוי: מעבר קריירה, חזרה לעבודה אחרי חופשת לידה, "
            "או תחושה ששגרת היום כבר לא מתאימה. בעבודה איתי נגדיר יחד מה חשוב לך באמת, "
            "ונבנה צעדים קטנים ועקביים שאפשר לעמוד בהם גם בשבוע עמוס."
        ),
        specialties=("מעבר קריירה", "איזון בית-עבודה", "שחיקה", "הורות"),
        languages_spoken=("he", "en"),
        joined_days_ago=120,
    ),
    DemoPerson(
        email=RACHEL,
        full_name="Rachel Adler",
        role=Role.COACH,
        language="en",
        timezone="America/New_York",
        headline="Leadership and resilience coach for new managers",
        bio=(
            "I spent twelve years leading product teams before becoming a coach. I work with "
            "first-time managers and founders who want to lead with clarity without burning "
            "out: hard conversations, delegation, and building routines that hold up under pressure."
        ),
        specialties=(
            "Leadership",
            "Burnout recovery",
            "Difficult conversations",
            "Time management",
        ),
        languages_spoken=("en",),
        joined_days_ago=95,
    ),
    # Yael's clients
    DemoPerson(
        email="noa.levi@example.com",
        full_name="נועה לוי",
        role=Role.CLIENT,
        language="he",
        timezone="Asia/Jerusalem",
        coach=YAEL,
        goals="לחזור לעבודה אחרי חופשת הלידה בלי לוותר על הזמן עם הילדים, ולבנות שגרת בוקר שעובדת.",
        reason="אני מרגישה שאני כל הזמן מאחרת לכל מקום ושאין לי רגע לעצמי.",
        joined_days_ago=60,
    ),
    DemoPerson(
        email="uri.shapira@example.com",
        full_name="אורי שפירא",
        role=Role.CLIENT,
        language="he",
        timezone="Asia/Jerusalem",
        coach=YAEL,
        goals="להחליט אם לעזוב את ההייטק וללמוד הוראה, ולהגיע להחלטה עד סוף השנה.",
        reason="אני עשר שנים באותו תפקיד ומרגיש שאני כבר לא לומד שום דבר חדש.",
        joined_days_ago=45,
    ),
    DemoPerson(
        email="michal.avraham@example.com",
        full_name="מיכל אברהם",
        role=Role.CLIENT,
        language="he",
        timezone="Asia/Jerusalem",
        coach=YAEL,
        goals="לישון לפחות שבע שעות ולהפסיק לענות למיילים בלילה.",
        reason="הרופאה אמרה לי שהלחץ בעבודה משפיע על הבריאות שלי.",
        joined_days_ago=20,
    ),
    DemoPerson(
        email="david.cohen@example.com",
        full_name="David Cohen",
        role=Role.CLIENT,
        language="en",
        timezone="Asia/Jerusalem",
        coach=YAEL,
        goals="Settle into life in Israel after moving from London, and find work that uses my finance background.",
        reason="We made aliyah six months ago and I still feel like a visitor.",
        joined_days_ago=14,
    ),
    # Rachel's clients
    DemoPerson(
        email="jonathan.price@example.com",
        full_name="Jonathan Price",
        role=Role.CLIENT,
        language="en",
        timezone="America/Chicago",
        coach=RACHEL,
        goals="Get comfortable giving direct feedback to my team of six, and stop redoing their work at night.",
        reason="I was promoted to engineering manager three months ago and I'm exhausted.",
        joined_days_ago=70,
    ),
    DemoPerson(
        email="priya.sharma@example.com",
        full_name="Priya Sharma",
        role=Role.CLIENT,
        language="en",
        timezone="Europe/London",
        coach=RACHEL,
        goals="Prepare for our Series A fundraising while keeping evenings free for my family.",
        reason="My co-founder and I keep clashing about priorities and I want to handle it better.",
        joined_days_ago=40,
    ),
    DemoPerson(
        email="hannah.weiss@example.com",
        full_name="Hannah Weiss",
        role=Role.CLIENT,
        language="en",
        timezone="America/Los_Angeles",
        coach=RACHEL,
        goals="Build a weekly planning habit and say no to meetings that don't need me.",
        reason="My calendar runs me, not the other way round.",
        joined_days_ago=10,
    ),
    DemoPerson(
        email="michael.torres@example.com",
        full_name="Michael Torres",
        role=Role.CLIENT,
        language="en",
        timezone="America/New_York",
        coach=RACHEL,
        goals="Land a team-lead role within six months.",
        reason="I want an outside view on my career plan.",
        archived=True,
        joined_days_ago=150,
    ),
    DemoPerson(
        email=ADMIN,
        full_name="Loom Admin",
        role=Role.ADMIN,
        language="en",
        timezone="UTC",
        joined_days_ago=180,
    ),
)

INVITATIONS: tuple[DemoInvitation, ...] = (
    DemoInvitation(
        coach=RACHEL,
        email="sam.okafor@example.com",
        full_name="Sam Okafor",
        language="en",
        message="Great to meet you at the meetup, Sam. Here's the link we talked about.",
    ),
    DemoInvitation(
        coach=YAEL,
        email="tamar.golan@example.com",
        full_name="תמר גולן",
        language="he",
        message="שמחתי לשוחח איתך, תמר. מצרפת את ההזמנה כמו שסיכמנו.",
    ),
)


def demo_invitation_token(email: str) -> str:
    """A stable token for a demo invitation, so `loom demo_signins` can print its link.

    Derived from SECRET_KEY: each deployment's demo links differ, and only the hash is stored.
    """
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"loom-demo-invitation:{email}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _create_person(person: DemoPerson, now: Any) -> User:
    joined = now - timedelta(days=person.joined_days_ago)
    user = User(
        email=person.email,
        full_name=person.full_name,
        role=person.role,
        language=person.language,
        timezone=person.timezone,
        date_joined=joined,
    )
    if person.role == Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    done = joined + timedelta(hours=1)
    if person.role == Role.COACH:
        CoachProfile.objects.create(
            user=user,
            headline=person.headline,
            bio=person.bio,
            specialties=list(person.specialties),
            languages_spoken=list(person.languages_spoken),
        )
        Onboarding.objects.create(
            user=user,
            started_at=joined,
            profile_at=done,
            mfa_prompt_at=done,
            availability_at=done,
            first_invite_at=done,
            completed_at=done,
        )
    elif person.role == Role.CLIENT:
        ClientProfile.objects.create(user=user, goals=person.goals, reason=person.reason)
        Onboarding.objects.create(
            user=user,
            started_at=joined,
            profile_at=done,
            consent_at=joined,
            intake_at=done,
            completed_at=done,
        )
        for document, version in (
            (ConsentRecord.Document.TERMS, settings.LOOM_TERMS_VERSION),
            (ConsentRecord.Document.PRIVACY, settings.LOOM_PRIVACY_VERSION),
        ):
            ConsentRecord.objects.create(
                user=user, document=document, version=version, accepted_at=joined
            )
    return user


@transaction.atomic
def load_demo_data() -> dict[str, int]:
    """Create whatever part of the demo data is missing; return how many rows were added."""
    created = {"people": 0, "links": 0, "invitations": 0}
    now = timezone.now()
    with system_context():
        users: dict[str, User] = {}
        for person in PEOPLE:
            user = User.objects.filter(email__iexact=person.email).first()
            if user is None:
                user = _create_person(person, now)
                created["people"] += 1
            users[person.email] = user
        for person in PEOPLE:
            if not person.coach:
                continue
            joined = now - timedelta(days=person.joined_days_ago)
            _link, was_created = CoachClient.objects.get_or_create(
                coach=users[person.coach],
                client=users[person.email],
                defaults={
                    "created_at": joined,
                    "status": CoachClient.Status.ARCHIVED
                    if person.archived
                    else CoachClient.Status.ACTIVE,
                    "archived_at": now - timedelta(days=7) if person.archived else None,
                },
            )
            created["links"] += int(was_created)
        for invite in INVITATIONS:
            coach = users[invite.coach]
            if Invitation.objects.filter(coach=coach, email__iexact=invite.email).exists():
                continue
            Invitation.objects.create(
                coach=coach,
                email=invite.email,
                full_name=invite.full_name,
                language=invite.language,
                message=invite.message,
                token_hash=invitation_token_hash(demo_invitation_token(invite.email)),
                # Demo links stay usable for a year, unlike real ones.
                expires_at=now + timedelta(days=365),
                last_sent_at=now - timedelta(days=2),
                send_window_started_at=now - timedelta(days=2),
            )
            created["invitations"] += 1
    return created


class Command(BaseCommand):
    help = "Load bilingual demo coaches, clients, invitations and an admin (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when neither DEBUG nor LOOM_DEMO_MODE is on (the demo password is public).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.LOOM_DEMO_MODE or options["force"]):
            raise CommandError(
                "Refusing to load demo accounts with a published password: turn on LOOM_DEMO_MODE or pass --force."
            )
        created = load_demo_data()
        if any(created.values()):
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo data loaded: {people} people, {links} coach-client links, {invitations} invitations added.".format(
                        **created
                    )
                )
            )
        else:
            self.stdout.write("Demo data already present; nothing changed.")
