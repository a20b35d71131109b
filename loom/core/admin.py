"""The Django admin's privacy rules, and the admin pages of the cross-cutting tables.

``PrivacyAwareAdmin`` is the base of every ``loom.*`` model admin. It keeps the admin
from ever showing what people wrote, structurally rather than by each class's care:

* every ``EncryptedTextField``, every stored file, and the secrets named in
  ``SECRET_FIELD_NAMES`` are hidden, plus what a subclass lists in ``private_fields``
  (plain-text bodies, names and keys that could be private). Hidden columns are left
  out of every page, are not even loaded (``defer``), and naming one in
  ``list_display``, ``fields``, ``search_fields``… is a system-check error
  (``loom_admin.E001``): a subclass cannot opt back in;
* foreign keys to a model whose ``__str__`` would show private text (its admin sets
  ``private_label``), or listed in ``reference_fields``, are shown as "kind #id";
  the change page of such a model is titled the same way;
* pages are read-only unless a subclass sets ``read_only = False``: rows change
  through Loom's services, which audit and notify; ``area_link`` points to the
  Loom admin-area page that does the change instead.

Row-level security (DESIGN.md rule 1) applies here too: the admin's queries run as the
signed-in administrator, so tables without an ``admin_read`` policy list no rows. Such
admins set ``rls_note``, shown above the list on PostgreSQL, so an empty list is not
mistaken for missing data. docs/analytics.md lists which tables admins may read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loom.core.errors import Conflict
from loom.core.fields import EncryptedTextField
from loom.core.models import AuditLog, OutboxMessage, UserEvent, UserStream, WorkerHeartbeat
from loom.core.outbox import outbox_retry

# Column names that hold a secret wherever they appear.
SECRET_FIELD_NAMES = frozenset({"password", "token_hash", "code_hash", "session_key"})
CHECK_ID = "loom_admin.E001"

# Why a changelist is empty for administrators (shown on PostgreSQL only).
NOTE_PRIVATE = _(
    "These rows hold what people wrote, said or felt. Row-level security shows them only "
    "to the people they belong to and the coach they share with, so administrators see no "
    "rows here. This is by design."
)
NOTE_OWNER = _(
    "Each of these rows belongs to one person (their settings, devices, codes or files). "
    "Row-level security shows them only to that person, so administrators see only their "
    "own rows here. This is by design."
)
NOTE_COACHING = _(
    "These rows belong to a coach and the clients they work with. Row-level security shows "
    "them only to those people, so administrators see no rows here. This is by design."
)


def hidden_field_names(model: type[models.Model], extra: Iterable[str] = ()) -> frozenset[str]:
    """The columns of ``model`` that no admin page may show or search."""
    names = set(extra)
    for field in model._meta.get_fields():
        if not getattr(field, "concrete", False):
            continue
        if (
            isinstance(field, EncryptedTextField | models.FileField)
            or field.name in SECRET_FIELD_NAMES
        ):
            names.add(field.name)
    return frozenset(names)


def _admin_for(model: type[models.Model]) -> Any:
    return admin.site._registry.get(model)


def _model_hidden(model: type[models.Model]) -> frozenset[str]:
    model_admin = _admin_for(model)
    extra = getattr(model_admin, "private_fields", ()) if model_admin is not None else ()
    return hidden_field_names(model, extra)


def lookup_hides(model: type[models.Model], lookup: str) -> str | None:
    """The hidden field ``lookup`` ("title", "coach__email", "^name") reaches, or None."""
    path = lookup.lstrip("^=@").split("__")
    current = model
    for index, part in enumerate(path):
        if part == "pk":
            return None
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None  # a method or a lookup such as "icontains": not a column
        if field.name in _model_hidden(current):
            return f"{current._meta.label}.{field.name}"
        related = getattr(field, "related_model", None)
        if related is None or index == len(path) - 1:
            return None
        current = related
    return None


class ObjectLabel:
    """What a change page calls an object whose ``__str__`` may hold private text."""

    def __init__(self, obj: models.Model) -> None:
        self.pk = obj.pk
        self._text = f"{capfirst(obj._meta.verbose_name)} #{obj.pk}"

    def __str__(self) -> str:
        return self._text


def reference_label(model: type[models.Model], pk: Any) -> str:
    return f"{capfirst(model._meta.verbose_name)} #{pk}"


class PrivacyAwareAdmin(admin.ModelAdmin[Any]):
    """The base of every Loom model admin (see the module docstring)."""

    # Plain-text columns of this model that may hold private text.
    private_fields: tuple[str, ...] = ()
    # Foreign keys shown as "kind #id" (the target may be private or hidden by RLS).
    reference_fields: tuple[str, ...] = ()
    # This model's __str__ may show private text: pages and references use "kind #id".
    private_label = False
    read_only = True
    rls_note: Promise | None = None
    # (URL name, link text) of the Loom page where this is managed.
    area_link: tuple[str, Promise] | None = None

    list_per_page = 50
    # The unfiltered count is one more query over the whole table on every filtered page.
    show_full_result_count = False
    change_list_template = "admin/loom/change_list.html"

    # --- What may be shown ------------------------------------------------------------

    @classmethod
    def hidden_fields(cls, model: type[models.Model]) -> frozenset[str]:
        return hidden_field_names(model, cls.private_fields)

    def _hidden(self) -> frozenset[str]:
        return self.hidden_fields(self.model)

    def _default_field_names(self) -> list[str]:
        hidden = self._hidden()
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if field.name not in hidden and not (field.primary_key and field.auto_created)
        ]

    def _reference_display(self, field: models.ForeignKey[Any, Any]) -> Callable[[Any], str]:
        cache: dict[str, Callable[[Any], str]] = self.__dict__.setdefault("_references", {})
        if field.name not in cache:
            related = field.related_model

            def display(obj: Any) -> str:
                pk = getattr(obj, field.attname)
                return "-" if pk is None else reference_label(related, pk)

            display.__name__ = f"{field.name}_reference"
            display.short_description = field.verbose_name  # type: ignore[attr-defined]
            cache[field.name] = display
        return cache[field.name]

    def _shown(self, name: Any) -> Any:
        """``name`` as it may be shown: None when hidden, a reference display for a FK
        whose target must not be rendered with its ``__str__``."""
        if not isinstance(name, str):
            return name
        if name in self._hidden():
            return None
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        related = getattr(field, "related_model", None)
        if isinstance(field, models.ForeignKey) and related is not None:
            target_admin = self.admin_site._registry.get(related)
            if name in self.reference_fields or getattr(target_admin, "private_label", False):
                return self._reference_display(field)
        return name

    def _filter(self, names: Iterable[Any]) -> list[Any]:
        return [shown for shown in (self._shown(name) for name in names) if shown is not None]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self.read_only or self.fields:
            return self._filter(self.fields or self._default_field_names())
        return [name for name in super().get_fields(request, obj) if self._shown(name) is not None]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self.read_only:
            return self.get_fields(request, obj)
        return self._filter(super().get_readonly_fields(request, obj))

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return sorted({*(super().get_exclude(request, obj) or ()), *self._hidden()})

    def get_list_display(self, request: HttpRequest) -> Any:
        return [name for name in super().get_list_display(request) if name not in self._hidden()]

    def get_search_fields(self, request: HttpRequest) -> Any:
        return [
            name
            for name in super().get_search_fields(request)
            if lookup_hides(self.model, name) is None
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Hidden columns are never loaded: nothing can render them by accident, and
        # encrypted text is not decrypted for a page that does not show it.
        deferred = [
            field.name
            for field in self.model._meta.concrete_fields
            if field.name in self._hidden() and not field.primary_key
        ]
        queryset = super().get_queryset(request)
        return queryset.defer(*deferred) if deferred else queryset

    # --- Read-only ----------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and super().has_delete_permission(request, obj)

    # --- Pages ----------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        if self.rls_note is not None and connection.vendor == "postgresql":
            context["loom_rls_note"] = self.rls_note
        if self.area_link is not None:
            url_name, text = self.area_link
            context["loom_area_link"] = {"url": reverse(url_name), "text": text}
        return super().changelist_view(request, extra_context=context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if self.private_label and isinstance(response, TemplateResponse):
            data = response.context_data or {}
            original = data.get("original")
            if original is not None:
                label = ObjectLabel(original)
                data["original"] = label
                data["subtitle"] = str(label)
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        if self.private_label and isinstance(response, TemplateResponse):
            data = response.context_data or {}
            obj = data.get("object")
            if obj is not None:
                label = ObjectLabel(obj)
                data["object"] = label
                data["title"] = gettext("Change history: %s") % label
                data["subtitle"] = None
        return response

    # --- Checks ---------------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._privacy_errors()]

    def _privacy_errors(self) -> list[checks.CheckMessage]:
        hidden = self._hidden()
        named: list[tuple[str, str]] = []
        for option in ("list_display", "list_display_links", "readonly_fields", "sortable_by"):
            named += [
                (option, n) for n in (getattr(self, option, None) or ()) if isinstance(n, str)
            ]
        named += [(option, n) for option in ("fields",) for n in _flat(self.fields or ())]
        named += [
            ("fieldsets", n)
            for _name, opts in self.fieldsets or ()
            for n in _flat(opts.get("fields", ()))
        ]
        named += [("ordering", n.lstrip("-")) for n in (self.ordering or ()) if isinstance(n, str)]
        for entry in self.list_filter:
            name = entry[0] if isinstance(entry, tuple | list) else entry
            if isinstance(name, str):
                named.append(("list_filter", name))
        if self.date_hierarchy:
            named.append(("date_hierarchy", self.date_hierarchy))
        errors: list[checks.CheckMessage] = []
        for option, name in named:
            reached = (
                f"{self.model._meta.label}.{name}" if name in hidden else None
            ) or lookup_hides(self.model, name)
            if reached:
                errors.append(_privacy_error(self, option, reached))
        for name in self.search_fields:
            reached = lookup_hides(self.model, name)
            if reached or name.lstrip("^=@") in hidden:
                errors.append(_privacy_error(self, "search_fields", reached or name))
        return errors


def _flat(names: Iterable[Any]) -> list[str]:
    flat: list[str] = []
    for name in names:
        if isinstance(name, list | tuple):
            flat += _flat(name)
        elif isinstance(name, str):
            flat.append(name)
    return flat


def _privacy_error(model_admin: PrivacyAwareAdmin, option: str, field: str) -> checks.Error:
    return checks.Error(
        f"{type(model_admin).__name__}.{option} names {field}, which is encrypted, a "
        "secret or private text; the Django admin must never show or search it.",
        hint="Remove it. PrivacyAwareAdmin hides it on every page regardless.",
        obj=type(model_admin),
        id=CHECK_ID,
    )


# --- The cross-cutting tables ---------------------------------------------------------------


@admin.register(OutboxMessage)
class OutboxMessageAdmin(PrivacyAwareAdmin):
    # The payload is never shown: it may hold sign-in links, SMS codes or message text.
    private_fields = ("payload",)
    area_link = ("admin_area:outbox", _("Review and retry dead letters on Loom's outbox page."))
    list_display = (
        "id",
        "created_at",
        "channel",
        "recipient",
        "status",
        "attempts",
        "available_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "created_at")
    search_fields = ("recipient", "dedupe_key")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "channel",
        "recipient",
        "subject",
        "status",
        "dedupe_key",
        "attempts",
        "max_attempts",
        "available_at",
        "locked_until",
        "last_error",
        "created_at",
        "sent_at",
    )
    actions = ["retry_dead_letters"]

    @admin.display(description=_("subject"))
    def subject(self, message: OutboxMessage) -> str:
        # Emails keep a subject even after their bodies are stripped; other channels show nothing.
        if message.channel != OutboxMessage.Channel.EMAIL:
            return "—"
        payload = OutboxMessage.objects.filter(pk=message.pk).values_list("payload", flat=True)
        return str((payload.first() or {}).get("subject", "—"))

    @admin.action(description=_("Retry the selected dead letters"))
    def retry_dead_letters(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        retried = 0
        for message_id in queryset.filter(status=OutboxMessage.Status.DEAD).values_list(
            "pk", flat=True
        ):
            try:
                outbox_retry(message_id=message_id, actor=request.user)
            except Conflict:
                continue
            retried += 1
        self.message_user(
            request,
            gettext("%(count)d message(s) will be sent again.") % {"count": retried},
            messages.SUCCESS,
        )


@admin.register(AuditLog)
class AuditLogAdmin(PrivacyAwareAdmin):
    """Append-only: viewable and searchable, never added, changed or deleted here."""

    list_display = (
        "occurred_at",
        "action",
        "actor",
        "target_type",
        "target_id",
        "ip_address",
        "request_id",
    )
    list_filter = ("action", "target_type", "occurred_at")
    search_fields = ("action", "target_id", "request_id", "actor__email")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    ordering = ("-occurred_at", "-id")


@admin.register(UserStream)
class UserStreamAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_OWNER
    list_display = ("user", "last_seq", "last_active_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("-last_active_at",)


@admin.register(UserEvent)
class UserEventAdmin(PrivacyAwareAdmin):
    # What the socket sends: message text, notification titles.
    private_fields = ("data",)
    rls_note = NOTE_OWNER
    list_display = ("id", "user", "seq", "kind", "created_at")
    list_filter = ("kind", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "kind")
    ordering = ("-created_at", "-id")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(PrivacyAwareAdmin):
    list_display = ("name", "beat_at", "interval_seconds", "failed", "last_line", "host", "pid")
    list_filter = ("failed",)
    search_fields = ("name", "host")
    ordering = ("name",)
