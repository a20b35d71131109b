"""factory_boy factories for variations on the shared world (tests/world.py).

Users come with a verified primary email address and, unless ``onboarded=False``,
a completed onboarding record, like the people in the world.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    CoachProfile,
    Invitation,
    Onboarding,
    Role,
    User,
)
from loom.accounts.selectors import invitation_token_hash
from tests.world import PASSWORD


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.CLIENT
    language = "en"
    timezone = "UTC"

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        onboarded = kwargs.pop("onboarded", True)
        password = kwargs.pop("password", PASSWORD)
        user = User.objects.create_user(password=password, **kwargs)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        now = timezone.now()
        Onboarding.objects.create(
            user=user,
            started_at=now,
            profile_at=now if onboarded else None,
            completed_at=now if onboarded else None,
        )
        if user.role == Role.COACH:
            CoachProfile.objects.create(user=user)
        elif user.role == Role.CLIENT:
            ClientProfile.objects.create(user=user)
        return user


class CoachFactory(UserFactory):
    role = Role.COACH


class ClientFactory(UserFactory):
    role = Role.CLIENT


class CoachClientFactory(factory.django.DjangoModelFactory[CoachClient]):
    class Meta:
        model = CoachClient

    coach = factory.SubFactory(CoachFactory)
    client = factory.SubFactory(ClientFactory)


class InvitationFactory(factory.django.DjangoModelFactory[Invitation]):
    """An open invitation. The raw token is on the instance as ``token`` (never stored)."""

    class Meta:
        model = Invitation

    coach = factory.SubFactory(CoachFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    full_name = factory.Faker("name")
    language = "en"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @classmethod
    def _create(cls, model_class: type[Invitation], *args: Any, **kwargs: Any) -> Invitation:
        token = kwargs.pop("token", None) or secrets.token_urlsafe(32)
        kwargs["token_hash"] = invitation_token_hash(token)
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token  # type: ignore[attr-defined]
        return invitation
