"""Writes of people data: invitations, roster changes, profiles, onboarding, consent.

Every function is keyword-only, atomic, writes its audit row in the same transaction
and sends email only through the outbox, so a rolled-back change sends nothing.
Input that breaks a rule raises ``ValidationError`` (bad values) or a
``loom.core.errors.DomainError`` (a refused action); views turn both into messages,
the API into problem-details responses.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.emails import invitation_accepted_notify
from loom.accounts.mfa_policy import mfa_required_for
from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    CoachProfile,
    ConsentRecord,
    Invitation,
    Language,
    Onboarding,
    Role,
    User,
)
from loom.accounts.selectors import (
    STEP_FIELDS,
    Step,
    TokenState,
    get_client_for_coach,
    get_invitation_for_coach,
    invitation_from_token,
    invitation_token_hash,
    onboarding_steps_for,
)
from loom.accounts.signals import client_archived, client_joined
from loom.accounts.sms_mfa import user_has_second_factor
from loom.accounts.timezones import is_valid_timezone
from loom.core.audit import audit_record
from loom.core.context import system_context
from loom.core.email import email_enqueue
from loom.core.errors import Conflict, DomainError, Forbidden

NAME_MAX = 120
MESSAGE_MAX = 1000
HEADLINE_MAX = 160
BIO_MAX = 4000
INTAKE_MAX = 4000
SPECIALTY_MAX = 60
SPECIALTIES_MAX_COUNT = 12
# The languages a coach may list as spoken; names come from Django's own catalog.
SPOKEN_LANGUAGES = ("en", "he", "ar", "ru", "fr", "es", "de", "it", "pt", "uk", "ro", "hi")


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"
    code = "rate_limited"


class InvitationUnavailable(DomainError):
    """The invitation link cannot be used (unknown, expired, revoked or already used)."""

    status = 410
    title = "Invitation unavailable"

    def __init__(self, state: TokenState) -> None:
        super().__init__(
            _("This invitation link can no longer be used."), code=f"invitation_{state}"
        )
        self.state = state


# --- Input checks shared by the HTML forms and the API -----------------------------------


# Characters that reorder or hide text: bidi embeddings, overrides and isolates, and
# invisible spaces. In a name they let one person pass for another ("Dana" vs
# "Da\u200bna") or flip what is shown around them. Zero-width (non-)joiners and the
# left-to-right/right-to-left marks stay allowed: Arabic-script names, emoji and
# mixed Hebrew text need them, and they cannot reorder their surroundings.
_HIDDEN_CHARACTERS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\ufeff\u180e"
)
# Line breaks and tabs belong in free text; other control characters nowhere.
_TEXT_CONTROLS_ALLOWED = frozenset("\n\r\t")


def _text(
    value: str, *, field: str, max_length: int, required: bool = False, single_line: bool = False
) -> str:
    """``value`` stripped and checked: no NUL or other control characters, at most
    ``max_length`` characters; ``single_line`` values (names, headlines) also refuse
    line breaks and the characters in ``_HIDDEN_CHARACTERS``."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError(
            {field: _("Null characters are not allowed.")}, code="null_characters"
        )
    allowed_controls = frozenset() if single_line else _TEXT_CONTROLS_ALLOWED
    if any(
        (unicodedata.category(char) == "Cc" and char not in allowed_controls)
        or (single_line and char in _HIDDEN_CHARACTERS)
        for char in value
    ):
        raise ValidationError(
            {field: _("Remove the line breaks, control characters or invisible characters.")},
            code="invalid_characters",
        )
    if len(value) > max_length:
        raise ValidationError(
            {field: _("Use at most %(max)d characters.") % {"max": max_length}}, code="max_length"
        )
    if required and not value:
        raise ValidationError({field: _("This field is required.")}, code="required")
    return value


def _email(value: str) -> str:
    email = _text(value, field="email", max_length=254, required=True).lower()
    try:
        EmailValidator()(email)
    except ValidationError:
        raise ValidationError(
            {"email": _("Enter a valid email address.")}, code="invalid"
        ) from None
    return email


def _language(value: str) -> str:
    if value not in Language.values:
        raise ValidationError({"language": _("Choose English or Hebrew.")}, code="invalid_language")
    return value


def _timezone(value: str, *, field: str = "timezone") -> str:
    value = (value or "").strip()
    if not is_valid_timezone(value):
        raise ValidationError(
            {field: _("Choose a time zone from the list, for example Europe/London.")},
            code="invalid_timezone",
        )
    return value


def _require_coach(user: User) -> None:
    if not user.is_authenticated or user.role != Role.COACH:
        raise Forbidden(_("Only coaches can do this."))


# --- Invitations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationSent:
    invitation: Invitation
    token: str
    resent: bool = False


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, invitation_token_hash(token)


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.LOOM_INVITATION_TTL_DAYS)


def invitation_url(token: str) -> str:
    return settings.LOOM_BASE_URL + reverse("invitation_accept", args=[token])


def _invitation_email(invitation: Invitation, token: str) -> None:
    coach = invitation.coach
    email_enqueue(
        to=invitation.email,
        template="accounts/email/invitation",
        language=invitation.language,
        context={
            "user_name": invitation.full_name,
            "coach_name": coach.display_name,
            "message": invitation.message,
            "accept_url": invitation_url(token),
            "ttl_days": settings.LOOM_INVITATION_TTL_DAYS,
            "expires_at": invitation.expires_at,
        },
        # One email per send: the count makes each resend a new outbox row.
        dedupe_key=f"invitation:{invitation.pk}:{invitation.sent_count}",
    )


@transaction.atomic
def invitation_create(
    *,
    coach: User,
    email: str,
    full_name: str = "",
    language: str = Language.ENGLISH,
    message: str = "",
) -> InvitationSent:
    """Invite ``email`` to become ``coach``'s client and email them a link.

    An open invitation to the same address is reused: its details are updated and it
    is sent again (a new link; the old one stops working), within the resend limit.
    """
    _require_coach(coach)
    email = _email(email)
    full_name = _text(full_name, field="full_name", max_length=NAME_MAX, single_line=True)
    language = _language(language)
    message = _text(message, field="message", max_length=MESSAGE_MAX)

    if email == coach.email.lower():
        raise DomainError(_("You cannot invite yourself."), code="self_invite")
    link = CoachClient.objects.filter(coach=coach, client__email__iexact=email).first()
    if link is not None:
        if link.status == CoachClient.Status.ARCHIVED:
            raise Conflict(
                _(
                    "This person is already your client (archived). Restore them from your client list."
                ),
                code="archived_client",
            )
        raise Conflict(_("This person is already your client."), code="already_client")

    existing = (
        Invitation.objects.select_for_update()
        .filter(coach=coach, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if existing is not None:
        existing.full_name = full_name or existing.full_name
        existing.language = language
        existing.message = message
        return _invitation_send_again(existing, actor=coach)

    now = timezone.now()
    recent = Invitation.objects.filter(coach=coach, created_at__gt=now - timedelta(days=1)).count()
    if recent >= settings.LOOM_INVITATIONS_PER_COACH_PER_DAY:
        raise TooManyRequests(_("You have sent many invitations today. Please try again tomorrow."))

    token, token_hash = _new_token()
    try:
        # A savepoint: a concurrent invitation to the same address trips the
        # one-open-invitation constraint without poisoning this transaction.
        with transaction.atomic():
            invitation = Invitation.objects.create(
                coach=coach,
                email=email,
                full_name=full_name,
                language=language,
                message=message,
                token_hash=token_hash,
                expires_at=_expiry(now),
                last_sent_at=now,
                send_window_started_at=now,
            )
    except IntegrityError:
        raise Conflict(
            _("An invitation to this address is already open. Resend it from your client list."),
            code="invitation_open",
        ) from None
    audit_record(
        action="invitation.created", actor=coach, target=invitation, details={"email": email}
    )
    _invitation_email(invitation, token)
    return InvitationSent(invitation=invitation, token=token)


def _invitation_send_again(invitation: Invitation, *, actor: User) -> InvitationSent:
    """Rotate the token, extend the expiry and email the new link (row locked by the caller)."""
    now = timezone.now()
    if invitation.send_window_started_at <= now - timedelta(days=1):
        invitation.send_window_started_at = now
        invitation.sends_in_window = 1
    elif invitation.sends_in_window >= settings.LOOM_INVITATION_SENDS_PER_DAY:
        raise TooManyRequests(
            _("This invitation was sent %(count)d times today. You can send it again tomorrow.")
            % {"count": invitation.sends_in_window}
        )
    else:
        invitation.sends_in_window += 1
    token, invitation.token_hash = _new_token()
    invitation.expires_at = _expiry(now)
    invitation.sent_count += 1
    invitation.last_sent_at = now
    invitation.save()
    audit_record(
        action="invitation.resent",
        actor=actor,
        target=invitation,
        details={"email": invitation.email, "sent_count": invitation.sent_count},
    )
    _invitation_email(invitation, token)
    return InvitationSent(invitation=invitation, token=token, resent=True)


def _open_invitation_for_coach(coach: User, invitation_id: Any) -> Invitation:
    invitation = get_invitation_for_coach(coach, invitation_id, for_update=True)
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation was already accepted."), code="invitation_accepted")
    if invitation.revoked_at is not None:
        raise Conflict(_("This invitation was revoked."), code="invitation_revoked")
    return invitation


@transaction.atomic
def invitation_resend(*, coach: User, invitation_id: Any) -> InvitationSent:
    """Send an open invitation again with a new link; the previous link stops working."""
    _require_coach(coach)
    invitation = _open_invitation_for_coach(coach, invitation_id)
    return _invitation_send_again(invitation, actor=coach)


@transaction.atomic
def invitation_revoke(*, coach: User, invitation_id: Any) -> Invitation:
    """Withdraw an open invitation; its link stops working at once."""
    _require_coach(coach)
    invitation = _open_invitation_for_coach(coach, invitation_id)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        action="invitation.revoked",
        actor=coach,
        target=invitation,
        details={"email": invitation.email},
    )
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    full_name: str = "",
    password: str = "",
    time_zone: str = "",
    accepted_terms: bool = False,
    ip_address: str | None = None,
) -> User:
    """Accept an invitation: create the client's account, or link the signed-in one.

    Without ``user`` a client account is created for the invited address (verified:
    the person proved it by following the link) and terms and privacy consent is
    recorded. With ``user`` (signed in as the invited address) that account is linked.
    Exactly one acceptance wins a race: the claim is a conditional update on
    ``accepted_at IS NULL``, and the loser sees the invitation as used.
    """
    # The person accepting is usually not signed in yet; the token is the permission.
    with system_context():
        invitation, state = invitation_from_token(token, for_update=True)
        if invitation is None or state != TokenState.VALID:
            raise InvitationUnavailable(state)
        now = timezone.now()
        new_account = user is None
        if user is None:
            full_name = _text(
                full_name, field="full_name", max_length=NAME_MAX, required=True, single_line=True
            )
            tz = _timezone(time_zone) if time_zone else "UTC"
            if not accepted_terms:
                raise ValidationError(
                    {
                        "accept_terms": _(
                            "Please accept the terms of service and the privacy policy."
                        )
                    },
                    code="required",
                )
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise Conflict(
                    _(
                        "An account with this email address already exists. Sign in to accept the invitation."
                    ),
                    code="account_exists",
                )
            validate_password(password, user=User(email=invitation.email, full_name=full_name))
        else:
            if user.email.lower() != invitation.email.lower():
                raise Forbidden(
                    _("This invitation is for a different email address."), code="wrong_account"
                )
            if user.role != Role.CLIENT:
                raise Conflict(
                    _("This invitation is for a client account, and yours is not one."),
                    code="not_a_client",
                )

        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, updated_at=now)
        if claimed != 1:
            raise InvitationUnavailable(TokenState.USED)

        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        invitation.email,
                        password,
                        role=Role.CLIENT,
                        full_name=full_name,
                        language=invitation.language,
                        timezone=tz,
                    )
            except IntegrityError:
                raise Conflict(
                    _(
                        "An account with this email address already exists. Sign in to accept the invitation."
                    ),
                    code="account_exists",
                ) from None
            Onboarding.objects.create(user=user, started_at=now)
            _consent_record(user=user, ip_address=ip_address, now=now)
        else:
            Onboarding.objects.get_or_create(user=user, defaults={"started_at": now})

        # Following the emailed link proves control of the address.
        address = EmailAddress.objects.filter(user=user, email__iexact=invitation.email).first()
        if address is None:
            EmailAddress.objects.create(
                user=user, email=invitation.email, verified=True, primary=new_account
            )
        elif not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])
        ClientProfile.objects.get_or_create(user=user)
        link, created = CoachClient.objects.get_or_create(coach=invitation.coach, client=user)
        if not created and link.status != CoachClient.Status.ACTIVE:
            link.status = CoachClient.Status.ACTIVE
            link.archived_at = None
            link.save(update_fields=["status", "archived_at", "updated_at"])
        Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
        if created:
            client_joined.send(sender=CoachClient, coach=invitation.coach, client=user, at=now)
        invitation_accepted_notify(invitation=invitation, client=user)
        audit_record(
            action="invitation.accepted",
            actor=user,
            target=invitation,
            details={"coach_id": invitation.coach_id, "new_account": new_account},
        )
    return user


# --- Roster ----------------------------------------------------------------------------------


@transaction.atomic
def client_archive(*, coach: User, client_id: Any) -> CoachClient:
    """Move a client off the active roster. Nothing of theirs is deleted."""
    _require_coach(coach)
    link = get_client_for_coach(coach, client_id)
    now = timezone.now()
    changed = CoachClient.objects.filter(pk=link.pk, status=CoachClient.Status.ACTIVE).update(
        status=CoachClient.Status.ARCHIVED, archived_at=now, updated_at=now
    )
    if changed:
        audit_record(
            action="roster.client_archived",
            actor=coach,
            target=link,
            details={"client_id": link.client_id},
        )
        client_archived.send(sender=CoachClient, coach=coach, client=link.client, at=now)
    link.refresh_from_db(fields=["status", "archived_at"])
    return link


@transaction.atomic
def client_restore(*, coach: User, client_id: Any) -> CoachClient:
    """Bring an archived client back to the active roster."""
    _require_coach(coach)
    link = get_client_for_coach(coach, client_id)
    now = timezone.now()
    changed = CoachClient.objects.filter(pk=link.pk, status=CoachClient.Status.ARCHIVED).update(
        status=CoachClient.Status.ACTIVE, archived_at=None, updated_at=now
    )
    if changed:
        audit_record(
            action="roster.client_restored",
            actor=coach,
            target=link,
            details={"client_id": link.client_id},
        )
    link.refresh_from_db(fields=["status", "archived_at"])
    return link


# --- Profile and account -------------------------------------------------------------------


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    full_name: str | None = None,
    language: str | None = None,
    time_zone: str | None = None,
) -> User:
    """Change name, language and/or time zone; ``None`` leaves a value as it is."""
    fields: list[str] = []
    if full_name is not None:
        user.full_name = _text(
            full_name, field="full_name", max_length=NAME_MAX, required=True, single_line=True
        )
        fields.append("full_name")
    if language is not None:
        user.language = _language(language)
        fields.append("language")
    if time_zone is not None:
        user.timezone = _timezone(time_zone)
        fields.append("timezone")
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    user.language = _language(language)
    user.save(update_fields=["language"])
    return user


def _delete_file_after_commit(name: str) -> None:
    if not name:
        return
    storage = User._meta.get_field("avatar").storage
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def user_avatar_set(*, user: User, image: ContentFile[bytes]) -> User:
    """Store an already processed photo (see ``loom.accounts.images.avatar_process``)."""
    old_name = (user.avatar.name or "") if user.avatar else ""
    user.avatar.save(f"{user.pk}-{secrets.token_hex(8)}.webp", image, save=False)
    user.save(update_fields=["avatar"])
    _delete_file_after_commit(old_name)
    return user


@transaction.atomic
def user_avatar_remove(*, user: User) -> User:
    old_name = (user.avatar.name or "") if user.avatar else ""
    user.avatar = None
    user.save(update_fields=["avatar"])
    _delete_file_after_commit(old_name)
    return user


@transaction.atomic
def user_deletion_request(*, user: User) -> User:
    """Record that the person wants their account deleted (deletion itself comes later)."""
    changed = User.objects.filter(pk=user.pk, deletion_requested_at__isnull=True).update(
        deletion_requested_at=timezone.now()
    )
    user.refresh_from_db(fields=["deletion_requested_at"])
    if changed:
        audit_record(action="account.deletion_requested", actor=user, target=user)
    return user


@transaction.atomic
def user_deletion_cancel(*, user: User) -> User:
    changed = User.objects.filter(pk=user.pk, deletion_requested_at__isnull=False).update(
        deletion_requested_at=None
    )
    user.refresh_from_db(fields=["deletion_requested_at"])
    if changed:
        audit_record(action="account.deletion_cancelled", actor=user, target=user)
    return user


def _specialties(values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        item = _text(value, field="specialties", max_length=SPECIALTY_MAX, single_line=True)
        if item and item.casefold() not in {existing.casefold() for existing in cleaned}:
            cleaned.append(item)
    if len(cleaned) > SPECIALTIES_MAX_COUNT:
        raise ValidationError(
            {
                "specialties": _("List at most %(max)d specialties.")
                % {"max": SPECIALTIES_MAX_COUNT}
            },
            code="too_many",
        )
    return cleaned


@transaction.atomic
def coach_profile_update(
    *,
    user: User,
    full_name: str | None = None,
    headline: str = "",
    bio: str = "",
    specialties: list[str] | None = None,
    languages_spoken: list[str] | None = None,
    time_zone: str | None = None,
    avatar: ContentFile[bytes] | None = None,
) -> CoachProfile:
    _require_coach(user)
    user_profile_update(user=user, full_name=full_name, time_zone=time_zone)
    spoken = [code for code in (languages_spoken or []) if code in SPOKEN_LANGUAGES]
    if len(spoken) != len(languages_spoken or []):
        raise ValidationError(
            {"languages_spoken": _("Choose languages from the list.")}, code="invalid_choice"
        )
    profile, _created = CoachProfile.objects.get_or_create(user=user)
    profile.headline = _text(headline, field="headline", max_length=HEADLINE_MAX, single_line=True)
    profile.bio = _text(bio, field="bio", max_length=BIO_MAX)
    profile.specialties = _specialties(specialties or [])
    profile.languages_spoken = spoken
    profile.save()
    if avatar is not None:
        user_avatar_set(user=user, image=avatar)
    return profile


@transaction.atomic
def client_intake_update(*, user: User, goals: str, reason: str) -> ClientProfile:
    if user.role != Role.CLIENT:
        raise Forbidden(_("Only clients have an intake."))
    profile, _created = ClientProfile.objects.get_or_create(user=user)
    profile.goals = _text(goals, field="goals", max_length=INTAKE_MAX)
    profile.reason = _text(reason, field="reason", max_length=INTAKE_MAX)
    profile.save()
    return profile


def _consent_record(*, user: User, ip_address: str | None, now: datetime) -> None:
    for document, version in (
        (ConsentRecord.Document.TERMS, settings.LOOM_TERMS_VERSION),
        (ConsentRecord.Document.PRIVACY, settings.LOOM_PRIVACY_VERSION),
    ):
        ConsentRecord.objects.get_or_create(
            user=user,
            document=document,
            version=version,
            defaults={"accepted_at": now, "ip_address": ip_address},
        )
    Onboarding.objects.filter(user=user, consent_at__isnull=True).update(consent_at=now)
    audit_record(
        action="consent.accepted",
        actor=user,
        target=user,
        details={"terms": settings.LOOM_TERMS_VERSION, "privacy": settings.LOOM_PRIVACY_VERSION},
        ip_address=ip_address,
    )


# --- Onboarding ----------------------------------------------------------------------------


def _onboarding_for_update(user: User) -> Onboarding:
    onboarding, _created = Onboarding.objects.select_for_update().get_or_create(user=user)
    return onboarding


def _step_done(user: User, step: Step) -> Onboarding:
    """Stamp ``step`` (first time only) and complete onboarding when every step is done."""
    if step not in onboarding_steps_for(user):
        raise DomainError(_("This step is not part of your onboarding."), code="wrong_step")
    onboarding = _onboarding_for_update(user)
    now = timezone.now()
    field = STEP_FIELDS[step]
    if getattr(onboarding, field) is None:
        setattr(onboarding, field, now)
    if onboarding.completed_at is None and all(
        getattr(onboarding, STEP_FIELDS[each]) is not None for each in onboarding_steps_for(user)
    ):
        onboarding.completed_at = now
        audit_record(
            action="onboarding.completed", actor=user, target=user, details={"role": user.role}
        )
    onboarding.save()
    return onboarding


@transaction.atomic
def coach_signup_prepare(*, user: User) -> None:
    """Give a newly signed-up coach their profile and an onboarding record.

    Sign-up runs before the new account has a session, so nobody is acting yet as
    far as row-level security is concerned; the rows are written as the system.
    """
    with system_context():
        CoachProfile.objects.get_or_create(user=user)
        Onboarding.objects.get_or_create(user=user, defaults={"started_at": timezone.now()})


@transaction.atomic
def onboarding_coach_profile(*, user: User, **fields: Any) -> Onboarding:
    coach_profile_update(user=user, **fields)
    return _step_done(user, Step.PROFILE)


@transaction.atomic
def onboarding_client_profile(
    *,
    user: User,
    full_name: str,
    language: str,
    time_zone: str,
    avatar: ContentFile[bytes] | None = None,
) -> Onboarding:
    if user.role != Role.CLIENT:
        raise Forbidden(_("This step is for clients."))
    user_profile_update(user=user, full_name=full_name, language=language, time_zone=time_zone)
    if avatar is not None:
        user_avatar_set(user=user, image=avatar)
    return _step_done(user, Step.PROFILE)


@transaction.atomic
def onboarding_mfa(*, user: User, skip: bool) -> Onboarding:
    """Leave the MFA step: with an authenticator set up, or by skipping when allowed."""
    has_mfa = user_has_second_factor(user)
    if skip and mfa_required_for(user) and not has_mfa:
        raise Forbidden(
            _(
                "Your organisation requires two-factor authentication for coaches. Set it up to continue."
            ),
            code="mfa_required",
        )
    if not skip and not has_mfa:
        raise DomainError(
            _("Two-factor authentication is not set up yet. Set it up, or skip for now."),
            code="mfa_missing",
        )
    return _step_done(user, Step.MFA)


@transaction.atomic
def onboarding_availability(*, user: User) -> Onboarding:
    return _step_done(user, Step.AVAILABILITY)


@transaction.atomic
def onboarding_consent(*, user: User, accepted: bool, ip_address: str | None) -> Onboarding:
    if not accepted:
        raise ValidationError(
            {"accept_terms": _("Please accept the terms of service and the privacy policy.")},
            code="required",
        )
    _consent_record(user=user, ip_address=ip_address, now=timezone.now())
    return _step_done(user, Step.CONSENT)


@transaction.atomic
def onboarding_intake(*, user: User, goals: str, reason: str) -> Onboarding:
    client_intake_update(user=user, goals=goals, reason=reason)
    return _step_done(user, Step.INTAKE)


@transaction.atomic
def onboarding_first_invite(
    *,
    user: User,
    email: str = "",
    full_name: str = "",
    language: str = Language.ENGLISH,
    message: str = "",
    skip: bool = False,
) -> tuple[Onboarding, InvitationSent | None]:
    sent = None
    if not skip:
        sent = invitation_create(
            coach=user, email=email, full_name=full_name, language=language, message=message
        )
    return _step_done(user, Step.INVITE), sent
