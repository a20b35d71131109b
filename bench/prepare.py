"""Prepares the Loom workloads: migrate, create demo-like data, sign the coach in.

Run by ``bench.run`` in a subprocess with the same environment as the Loom server it
is about to start (``python -m bench.prepare``), so the session it creates is valid for
that server. Prints one JSON object on its last line of output:

``{"cookie": "<name>=<value>", "coach_home_queries": n, "healthz_queries": 0, ...}``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

COACH_EMAIL = "bench.coach@bench.loom.localhost"
OTHER_COACH_EMAIL = "bench.other-coach@bench.loom.localhost"
# Realistic names and intake text: the page renders them, so their length matters.
CLIENTS = [
    ("Avi Mizrahi", "he", "Asia/Jerusalem", "Find a steadier rhythm between work and family."),
    ("Noa Peretz", "he", "Asia/Jerusalem", "Prepare for a move into a team-lead role."),
    ("Jonah Whitaker", "en", "America/New_York", "Sleep better and stop bringing work to bed."),
    ("Priya Raman", "en", "Europe/London", "Decide whether to go back to university this year."),
    ("Yael Shapiro", "he", "Asia/Jerusalem", "Run a half marathon without injuring my knee again."),
    (
        "Marcus Bell",
        "en",
        "America/Chicago",
        "Rebuild confidence after a difficult performance review.",
    ),
    ("Tamar Azoulay", "he", "Asia/Jerusalem", "Set boundaries with a demanding client of my own."),
    ("Elena Costa", "en", "Europe/Lisbon", "Turn a side project into a small business."),
]
PENDING_INVITES = ["lior.katz@bench.loom.localhost", "sam.oduya@bench.loom.localhost"]


def prepare_in_subprocess(module: str, env: dict[str, str]) -> dict[str, Any]:
    """Run ``python -m <module>`` (a workload's data preparation) with the server's
    environment and return the JSON object it prints on its last line.

    Under a separate application role the preparation runs as the owner: it creates
    and deletes its own bench data.
    """
    prepare_env = dict(env)
    if prepare_env.get("DATABASE_APP_ROLE"):
        prepare_env["LOOM_DB_OWNER_MODE"] = "1"
    completed = subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env=prepare_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(f"{module} failed")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    import django

    django.setup()


def _user(email: str, *, role: str, full_name: str, language: str, tz: str) -> Any:
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from loom.accounts.models import ClientProfile, CoachProfile, Onboarding, User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, None, role=role, full_name=full_name, language=language, timezone=tz
        )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    now = timezone.now()
    Onboarding.objects.update_or_create(
        user=user,
        defaults={"started_at": now, "profile_at": now, "mfa_prompt_at": now, "completed_at": now},
    )
    if role == "coach":
        CoachProfile.objects.get_or_create(
            user=user,
            defaults={
                "headline": "Career and life transitions coach",
                "bio": "Twelve years of coaching people through career changes, new roles and burnout recovery.",
                "specialties": ["career", "leadership", "burnout"],
                "languages_spoken": ["en", "he"],
            },
        )
    else:
        ClientProfile.objects.get_or_create(user=user)
    return user


def create_data() -> Any:
    """The bench world: a coach with eight active clients and two open invitations,
    and another coach with a client of their own (so scoping has something to exclude)."""
    import hashlib
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from loom.accounts.models import ClientProfile, CoachClient, Invitation

    with transaction.atomic():
        coach = _user(
            COACH_EMAIL,
            role="coach",
            full_name="Ruth Ben-David",
            language="en",
            tz="Asia/Jerusalem",
        )
        other = _user(
            OTHER_COACH_EMAIL,
            role="coach",
            full_name="Dan Harel",
            language="he",
            tz="Asia/Jerusalem",
        )
        for index, (name, language, tz, goal) in enumerate(CLIENTS):
            email = f"{name.lower().replace(' ', '.')}@bench.loom.localhost"
            client = _user(email, role="client", full_name=name, language=language, tz=tz)
            profile = ClientProfile.objects.get(user=client)
            if not profile.goals:
                profile.goals = goal
                profile.reason = (
                    "A friend recommended coaching after it helped them through a similar time."
                )
                profile.save()
            CoachClient.objects.get_or_create(coach=coach, client=client)
            if index == 0:
                CoachClient.objects.get_or_create(coach=other, client=client)
        now = timezone.now()
        for email in PENDING_INVITES:
            Invitation.objects.get_or_create(
                coach=coach,
                email=email,
                accepted_at=None,
                revoked_at=None,
                defaults={
                    "token_hash": hashlib.sha256(f"bench:{email}".encode()).hexdigest(),
                    "expires_at": now + timedelta(days=7),
                    "full_name": email.split("@")[0].replace(".", " ").title(),
                },
            )
    return coach


def main() -> int:
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", interactive=False, verbosity=0)
    coach = create_data()

    host = settings.ALLOWED_HOSTS[0]
    anonymous = Client(HTTP_HOST=host)
    with CaptureQueriesContext(connection) as healthz_queries:
        response = anonymous.get("/healthz")
    if response.status_code != 200:
        raise SystemExit(f"/healthz answered {response.status_code}")

    browser = Client(HTTP_HOST=host)
    browser.force_login(coach)
    # The first signed-in request records the session's start; measure the second,
    # which is what every later request in the run looks like.
    browser.get("/coach/")
    with CaptureQueriesContext(connection) as home_queries:
        response = browser.get("/coach/")
    if response.status_code != 200:
        raise SystemExit(
            f"/coach/ answered {response.status_code} (Location: {response.get('Location')}) for the bench coach"
        )
    cookie_name = settings.SESSION_COOKIE_NAME
    print(
        json.dumps(
            {
                "cookie": f"{cookie_name}={browser.cookies[cookie_name].value}",
                "healthz_queries": len(healthz_queries),
                "coach_home_queries": len(home_queries),
                "coach_home_bytes": len(response.content),
                "clients": len(CLIENTS),
                "database": connection.vendor,
            }
        )
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
