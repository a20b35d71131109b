"""Django admin pages of the accounts app and of the sign-in libraries.

Accounts: read-only lists of people, roster links, invitations, onboarding, consent,
SMS codes and crisis signals, through ``PrivacyAwareAdmin`` (loom.core.admin): never a
password, token or code hash, a phone number, an intake answer or a review note.
Roles and security settings change on Loom's own pages, which audit the change.

The sign-in libraries: Django stores permission names in the database in English
("Can add outbox message"), and allauth leaves some model fields without a
translatable verbose name ("Created at"); the classes below relabel them. Their
authenticators and signed-in devices are read-only here and never show their stored
data (TOTP secrets, recovery seeds, session contents) or session keys.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from allauth.usersessions.admin import UserSessionAdmin
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import Field
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    CoachProfile,
    ConsentRecord,
    CrisisSignal,
    Invitation,
    Onboarding,
    SecurityPolicy,
    SmsCode,
    SmsMessageLog,
    User,
)
from loom.core.admin import NOTE_COACHING, NOTE_OWNER, NOTE_PRIVATE, PrivacyAwareAdmin

# The four permissions Django creates for every model, by codename prefix.
BUILTIN_PERMISSIONS: dict[str, Promise] = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission: Permission) -> str:
    """``app | model | action``, translated; custom permissions keep their stored name."""
    content_type = permission.content_type
    model = content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in BUILTIN_PERMISSIONS and model_name == model._meta.model_name:
        name = str(BUILTIN_PERMISSIONS[action]) % {"name": model._meta.verbose_name}
    else:
        name = permission.name
    return f"{content_type} | {name}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


class LoomGroupAdmin(GroupAdmin):
    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "permissions":
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


def titled(filter_class: type[FieldListFilter], title: Promise) -> type[FieldListFilter]:
    """``filter_class`` with a translated title (the field's own verbose name is English)."""

    class Titled(filter_class):  # type: ignore[valid-type,misc]
        def __init__(self, field: Field[Any, Any], *args: Any, **kwargs: Any) -> None:
            super().__init__(field, *args, **kwargs)
            self.title = title

    return Titled


class LabelledAdmin(admin.ModelAdmin[Any]):
    """Form labels for fields whose verbose names the library did not mark for translation."""

    labels: dict[str, Promise] = {}

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["labels"] = {**self.labels, **kwargs.get("labels", {})}
        return super().get_form(request, obj, change, **kwargs)


class ReadOnlyLibraryAdmin(LabelledAdmin):
    """A library's model, shown without its secrets and never changed here."""

    secret_fields: tuple[str, ...] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if field.name not in self.secret_fields and not field.primary_key
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer(*self.secret_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LoomAuthenticatorAdmin(ReadOnlyLibraryAdmin, AuthenticatorAdmin):
    # TOTP secrets, recovery-code seeds and WebAuthn credentials.
    secret_fields = ("data",)
    list_select_related = ("user",)
    search_fields = ("user__email",)
    labels = {
        "user": _("User"),
        "type": _("Type"),
        "data": _("Data"),
        "created_at": _("Created at"),
        "last_used_at": _("Last used at"),
    }
    list_display = ("user", "kind", "created", "last_used")
    list_filter = (
        ("type", titled(admin.ChoicesFieldListFilter, _("Type"))),
        ("created_at", titled(admin.DateFieldListFilter, _("Created at"))),
        ("last_used_at", titled(admin.DateFieldListFilter, _("Last used at"))),
    )

    @admin.display(description=_("Type"), ordering="type")
    def kind(self, authenticator: Authenticator) -> str:
        return str(authenticator.get_type_display())

    @admin.display(description=_("Created at"), ordering="created_at")
    def created(self, authenticator: Authenticator) -> Any:
        return authenticator.created_at

    @admin.display(description=_("Last used at"), ordering="last_used_at")
    def last_used(self, authenticator: Authenticator) -> Any:
        return authenticator.last_used_at


class LoomUserSessionAdmin(ReadOnlyLibraryAdmin, UserSessionAdmin):
    # A session key signs the device in; the data is the session's contents.
    secret_fields = ("data", "session_key")
    list_select_related = ("user",)
    search_fields = ("user__email", "ip")
    list_filter = (("last_seen_at", titled(admin.DateFieldListFilter, _("Last active"))),)
    labels = {
        "user": _("User"),
        "ip": _("IP address"),
        "user_agent": _("Browser"),
        "created_at": _("Created at"),
        "last_seen_at": _("Last active"),
        "data": _("Data"),
    }
    list_display = ("user", "created", "last_seen", "ip_address", "browser")

    @admin.display(description=_("Created at"), ordering="created_at")
    def created(self, session: UserSession) -> Any:
        return session.created_at

    @admin.display(description=_("Last active"), ordering="last_seen_at")
    def last_seen(self, session: UserSession) -> Any:
        return session.last_seen_at

    @admin.display(description=_("IP address"), ordering="ip")
    def ip_address(self, session: UserSession) -> str:
        return str(session.ip or "")

    @admin.display(description=_("Browser"))
    def browser(self, session: UserSession) -> str:
        return str(session.user_agent or "")


for model, model_admin in (
    (Group, LoomGroupAdmin),
    (Authenticator, LoomAuthenticatorAdmin),
    (UserSession, LoomUserSessionAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


# --- Loom's accounts tables ----------------------------------------------------------------


@admin.register(User)
class UserAdmin(PrivacyAwareAdmin):
    """People. Read-only: accounts are created by sign-up and invitations, admins by
    ``createsuperuser``; nothing here may bypass the audited services."""

    # The phone is a private contact and the second-factor number.
    private_fields = ("phone",)
    list_display = (
        "email",
        "full_name",
        "role",
        "language",
        "is_active",
        "is_staff",
        "date_joined",
        "last_login",
    )
    list_filter = ("role", "language", "is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("email", "full_name")
    date_hierarchy = "date_joined"
    ordering = ("-date_joined", "-id")
    fields = (
        "email",
        "full_name",
        "role",
        "language",
        "timezone",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
        "phone_verified_at",
        "sms_mfa_enabled_at",
        "deletion_requested_at",
    )


@admin.register(CoachProfile)
class CoachProfileAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_COACHING
    list_display = ("user", "headline", "created_at", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__full_name", "headline")
    ordering = ("-created_at",)


@admin.register(ClientProfile)
class ClientProfileAdmin(PrivacyAwareAdmin):
    # Intake answers are encrypted (hidden by the base class).
    rls_note = NOTE_PRIVATE
    list_display = ("user", "crisis_contact_consent_at", "created_at", "updated_at")
    list_filter = ("crisis_contact_consent_at", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__full_name")
    ordering = ("-created_at",)


@admin.register(CoachClient)
class CoachClientAdmin(PrivacyAwareAdmin):
    list_display = ("coach", "client", "status", "created_at", "archived_at")
    list_filter = ("status", "created_at", "archived_at")
    list_select_related = ("coach", "client")
    search_fields = ("coach__email", "coach__full_name", "client__email", "client__full_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")


@admin.register(Invitation)
class InvitationAdmin(PrivacyAwareAdmin):
    # The coach's personal note to the invitee; the token hash is a secret.
    private_fields = ("message",)
    list_display = (
        "email",
        "coach",
        "language",
        "created_at",
        "expires_at",
        "sent_count",
        "accepted_at",
        "revoked_at",
    )
    list_filter = ("language", "created_at", "accepted_at", "revoked_at", "expires_at")
    list_select_related = ("coach", "accepted_by")
    search_fields = ("email", "full_name", "coach__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")


@admin.register(Onboarding)
class OnboardingAdmin(PrivacyAwareAdmin):
    list_display = ("user", "started_at", "profile_at", "first_invite_at", "completed_at")
    list_filter = ("completed_at", "started_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__full_name")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(PrivacyAwareAdmin):
    list_display = ("user", "document", "version", "accepted_at", "ip_address")
    list_filter = ("document", "version", "accepted_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "version")
    date_hierarchy = "accepted_at"
    ordering = ("-accepted_at", "-id")


@admin.register(SmsCode)
class SmsCodeAdmin(PrivacyAwareAdmin):
    # The code's hash is a secret (hidden by name); the phone is private.
    private_fields = ("phone",)
    rls_note = NOTE_OWNER
    list_display = ("user", "purpose", "created_at", "expires_at", "attempts", "consumed_at")
    list_filter = ("purpose", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("-created_at", "-id")


@admin.register(SmsMessageLog)
class SmsMessageLogAdmin(PrivacyAwareAdmin):
    # The development SMS backend's log: the text holds sign-in codes.
    private_fields = ("body",)
    area_link = ("admin_area:sms", _("Read the demo text messages on Loom's SMS log page."))
    list_display = ("to", "created_at")
    list_filter = ("created_at",)
    search_fields = ("to",)
    ordering = ("-created_at", "-id")


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(PrivacyAwareAdmin):
    # Changed only on Loom's security page, which audits the change and clears the cache.
    area_link = ("admin_area:security", _("Change the security policy on Loom's security page."))
    list_display = ("id", "require_coach_mfa", "updated_at")


@admin.register(CrisisSignal)
class CrisisSignalAdmin(PrivacyAwareAdmin):
    # The reviewer's note is about a person in crisis.
    private_fields = ("review_note",)
    area_link = ("safety:review", _("Review crisis signals on Loom's safety review page."))
    list_display = (
        "id",
        "client",
        "severity",
        "source",
        "detected_at",
        "consent",
        "coaches_notified",
        "reviewed_at",
    )
    list_filter = ("severity", "source", "consent", "detected_at", "reviewed_at")
    list_select_related = ("client", "reviewed_by")
    search_fields = ("client__email",)
    date_hierarchy = "detected_at"
    ordering = ("-detected_at", "-id")
