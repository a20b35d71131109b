"""The one shared test world (DESIGN.md "Tests").

Coach Dana (English) with clients Avi and Noa; coach Eli (Hebrew) with client Maya;
an admin. Every password is ``PASSWORD``. Build it with ``World.build()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from loom.accounts.models import ClientProfile, CoachClient, CoachProfile, Onboarding, Role, User

PASSWORD = "correct horse battery staple"


def make_user(
    email: str, *, role: str, full_name: str, language: str = "en", tz: str = "UTC"
) -> User:
    user = User.objects.create_user(
        email, PASSWORD, role=role, full_name=full_name, language=language, timezone=tz
    )
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    now = timezone.now()
    Onboarding.objects.create(user=user, started_at=now, profile_at=now, completed_at=now)
    if role == Role.COACH:
        CoachProfile.objects.create(user=user, headline=f"{full_name} coaching")
    elif role == Role.CLIENT:
        ClientProfile.objects.create(user=user)
    return user


@dataclass
class World:
    dana: User
    avi: User
    noa: User
    eli: User
    maya: User
    admin: User

    @classmethod
    def build(cls) -> World:
        dana = make_user(
            "dana@example.com", role=Role.COACH, full_name="Dana Levi", tz="America/New_York"
        )
        eli = make_user(
            "eli@example.com",
            role=Role.COACH,
            full_name="Eli Cohen",
            language="he",
            tz="Asia/Jerusalem",
        )
        avi = make_user(
            "avi@example.com", role=Role.CLIENT, full_name="Avi Mizrahi", tz="Asia/Jerusalem"
        )
        noa = make_user(
            "noa@example.com",
            role=Role.CLIENT,
            full_name="Noa Peretz",
            language="he",
            tz="Asia/Jerusalem",
        )
        maya = make_user(
            "maya@example.com", role=Role.CLIENT, full_name="Maya Friedman", tz="Europe/London"
        )
        admin = make_user("admin@example.com", role=Role.ADMIN, full_name="Site Admin")
        admin.is_staff = True
        admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
        for coach, client in ((dana, avi), (dana, noa), (eli, maya)):
            CoachClient.objects.create(coach=coach, client=client)
        return cls(dana=dana, avi=avi, noa=noa, eli=eli, maya=maya, admin=admin)
