"""People in Loom: users and their roles, profiles, coach–client links, invitations,
onboarding progress, consent records and the SMS second factor."""

from __future__ import annotations

import hashlib
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from loom.core.fields import EncryptedTextField
from loom.core.models import TimeStampedModel


class Role(models.TextChoices):
    COACH = "coach", _("Coach")
    CLIENT = "client", _("Client")
    ADMIN = "admin", _("Administrator")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    HEBREW = "he", _("Hebrew")


def valid_timezone(value: str) -> bool:
    return value in zoneinfo.available_timezones()


def avatar_url_for(user_id: int, avatar_name: str) -> str:
    if not avatar_name:
        return ""
    from django.urls import reverse

    version = hashlib.sha256(avatar_name.encode()).hexdigest()[:12]
    return f"{reverse('account:avatar', args=[user_id])}?v={version}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.CLIENT)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), max_length=254)
    full_name = models.CharField(_("full name"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CLIENT)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    avatar = models.ImageField(_("photo"), upload_to="avatars/%Y/%m/", blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    # Set when the user turns on SMS codes as a second factor (needs a verified phone).
    sms_mfa_enabled_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_timezone.now)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [models.Index(fields=["role"], name="user_role")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@", 1)[0]

    @property
    def is_coach(self) -> bool:
        return self.role == Role.COACH

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def avatar_url(self) -> str:
        """Where the photo is served (an authorizing view), or '' without one.

        The stored name is part of the query string so a new photo is never hidden
        behind a cached old one.
        """
        return avatar_url_for(self.pk, (self.avatar.name or "") if self.avatar else "")


class CoachProfile(TimeStampedModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="coach_profile")
    headline = models.CharField(_("headline"), max_length=160, blank=True)
    bio = models.TextField(_("about you"), max_length=4000, blank=True)
    specialties = models.JSONField(_("specialties"), default=list, blank=True)
    languages_spoken = models.JSONField(_("languages spoken"), default=list, blank=True)

    def __str__(self) -> str:
        return f"Coach profile of {self.user_id}"


class ClientProfile(TimeStampedModel):
    """What a client tells their coach at intake. Encrypted: it is wellness data."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="client_profile")
    goals = EncryptedTextField(_("what you would like to achieve"), blank=True)
    reason = EncryptedTextField(_("what brings you to coaching"), blank=True)
    # When the client agreed that their coaches are told at once if something they
    # write suggests they may be in crisis (loom.accounts.safety); null = not agreed.
    crisis_contact_consent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Client profile of {self.user_id}"


class CoachClient(TimeStampedModel):
    """A client on a coach's roster."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    coach = models.ForeignKey(User, on_delete=models.CASCADE, related_name="client_links")
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coach_links")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["coach", "client"], name="coach_client_unique"),
            models.CheckConstraint(
                condition=~models.Q(coach=models.F("client")), name="coach_client_distinct"
            ),
        ]
        indexes = [models.Index(fields=["coach", "status"], name="coachclient_coach_status")]

    def __str__(self) -> str:
        return f"{self.coach_id} → {self.client_id} ({self.status})"


class Invitation(TimeStampedModel):
    """A coach's invitation for a client. Only a hash of the token is stored."""

    coach = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations_sent")
    email = models.EmailField(max_length=254)
    full_name = models.CharField(max_length=120, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    message = models.TextField(max_length=1000, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveSmallIntegerField(default=1)
    last_sent_at = models.DateTimeField(default=dj_timezone.now)
    # Resends are limited per rolling day: the window opens at the first send in it.
    send_window_started_at = models.DateTimeField(default=dj_timezone.now)
    sends_in_window = models.PositiveSmallIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["coach", "-created_at"], name="invitation_coach_time"),
            models.Index(Lower("email"), name="invitation_email_ci"),
        ]
        constraints = [
            # One open invitation per coach and address; resending reuses it.
            models.UniqueConstraint(
                "coach",
                Lower("email"),
                name="invitation_one_open_per_email",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to {self.email}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= dj_timezone.now()


class Onboarding(models.Model):
    """When each onboarding step was done. Feeds the GA KPI "onboarded within 7 days"."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="onboarding")
    started_at = models.DateTimeField(default=dj_timezone.now)
    profile_at = models.DateTimeField(null=True, blank=True)
    mfa_prompt_at = models.DateTimeField(null=True, blank=True)
    availability_at = models.DateTimeField(null=True, blank=True)
    first_invite_at = models.DateTimeField(null=True, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    intake_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"Onboarding of {self.user_id}"


class ConsentRecord(models.Model):
    class Document(models.TextChoices):
        TERMS = "terms", _("Terms of service")
        PRIVACY = "privacy", _("Privacy policy")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    document = models.CharField(max_length=16, choices=Document.choices)
    version = models.CharField(max_length=32)
    accepted_at = models.DateTimeField(default=dj_timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document", "version"], name="consent_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.document} {self.version}"


class SmsCode(models.Model):
    """A one-time code sent by SMS, for phone verification or as a second factor.

    Only a keyed hash of the code is stored; a code is valid for five minutes and
    five wrong attempts, and is consumed on first success.
    """

    class Purpose(models.TextChoices):
        VERIFY_PHONE = "verify_phone", _("Verify phone")
        SIGN_IN = "sign_in", _("Sign in")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sms_codes")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="smscode_lookup")]

    def __str__(self) -> str:
        return f"SMS code {self.pk} ({self.purpose})"


class SmsMessageLog(models.Model):
    """Messages given to the development SMS backend, shown to admins in demo mode."""

    to = models.CharField(max_length=20)
    body = models.TextField()
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"SMS to {self.to}"


class SecurityPolicy(models.Model):
    """Site-wide security switches that admins change at run time (a single row, pk=1)."""

    require_coach_mfa = models.BooleanField(
        _("require multi-factor authentication for coaches"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Security policy"

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


def user_language(user: Any) -> str:
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


class CrisisSignal(models.Model):
    """A detection of crisis language in something a client wrote, kept for review.

    Holds which phrase group matched and how severe it is, never the client's text.
    Written by ``loom.accounts.safety.safety_check``; reviewed by admins on the
    safety review page.
    """

    class Severity(models.TextChoices):
        # Ordered: a higher value is more urgent (see loom.core.crisis).
        CONCERN = "concern", _("Concern")
        HIGH = "high", _("High")
        IMMINENT = "imminent", _("Imminent")

    class Source(models.TextChoices):
        JOURNAL_ENTRY = "journal_entry", _("Journal entry")
        CHECKIN = "checkin", _("Check-in")
        JOURNAL_COMMENT = "journal_comment", _("Journal comment")

    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="crisis_signals")
    source = models.CharField(max_length=24, choices=Source.choices)
    source_id = models.BigIntegerField()
    severity = models.CharField(max_length=16, choices=Severity.choices)
    # Ids of the phrase groups that matched (loom.core.crisis.PHRASES), e.g. ["en.plan"].
    matched = models.JSONField(default=list)
    language = models.CharField(max_length=8, blank=True)
    detected_at = models.DateTimeField(default=dj_timezone.now)
    # How many coaches were sent an urgent notice (0 without the client's consent).
    coaches_notified = models.PositiveSmallIntegerField(default=0)
    consent = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["-detected_at"], name="crisis_signal_time"),
            models.Index(
                fields=["detected_at"],
                name="crisis_signal_unreviewed",
                condition=models.Q(reviewed_at__isnull=True),
            ),
            models.Index(fields=["client", "-detected_at"], name="crisis_signal_client"),
        ]

    def __str__(self) -> str:
        return f"Crisis signal {self.pk} ({self.severity}) for {self.client_id}"
