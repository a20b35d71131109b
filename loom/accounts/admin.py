"""Django admin pages of the sign-in libraries, readable in the admin's language.

Django stores permission names in the database in English ("Can add outbox message"),
and allauth leaves some model fields without a translatable verbose name ("Created
at"). The admin classes below only relabel: same models, same fields, same behaviour
as the libraries' own admin classes.
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


class LoomAuthenticatorAdmin(LabelledAdmin, AuthenticatorAdmin):
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


class LoomUserSessionAdmin(LabelledAdmin, UserSessionAdmin):
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
