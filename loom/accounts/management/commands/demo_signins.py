"""``loom demo_signins``: print how to sign in to the demo (run by `make demo` at start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from loom.accounts.management.commands.load_demo_data import (
    DEMO_PASSWORD,
    INVITATIONS,
    PEOPLE,
    demo_invitation_token,
)
from loom.accounts.models import Invitation, Role, User
from loom.accounts.selectors import invitation_token_hash
from loom.core.context import system_context

ROLE_ORDER = {Role.COACH: 0, Role.CLIENT: 1, Role.ADMIN: 2}


class Command(BaseCommand):
    help = "Print the demo sign-ins (loaded by `loom load_demo_data`)."

    def handle(self, *args: Any, **options: Any) -> None:
        base = settings.LOOM_BASE_URL
        with system_context():
            present = set(
                User.objects.filter(email__in=[person.email for person in PEOPLE]).values_list(
                    "email", flat=True
                )
            )
            open_hashes = set(
                Invitation.objects.filter(
                    accepted_at__isnull=True, revoked_at__isnull=True
                ).values_list("token_hash", flat=True)
            )
        if not present:
            self.stdout.write("No demo data yet: run `uv run loom load_demo_data` first.")
            return
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS(f"Loom demo at {base}/"))
        write(f"Every demo account's password: {DEMO_PASSWORD}")
        write("")
        people = sorted(
            (p for p in PEOPLE if p.email in present),
            key=lambda p: (ROLE_ORDER[Role(p.role)], p.coach, p.email),
        )
        width = max(len(p.email) for p in people)
        for person in people:
            detail = {
                Role.COACH: f"coach, works in {'Hebrew' if person.language == 'he' else 'English'}",
                Role.CLIENT: f"client of {person.coach.split('@')[0]}"
                + (" (archived)" if person.archived else ""),
                Role.ADMIN: "admin: asked to set up two-factor authentication (TOTP) at first sign-in",
            }[Role(person.role)]
            write(f"  {person.email.ljust(width)}  {detail}")
        links = [
            (invite, demo_invitation_token(invite.email))
            for invite in INVITATIONS
            if invitation_token_hash(demo_invitation_token(invite.email)) in open_hashes
        ]
        if links:
            write("")
            write("Open invitations (accept them to see a client's first steps):")
            for invite, token in links:
                write(f"  {invite.email}: {base}{reverse('invitation_accept', args=[token])}")
        write("")
