"""The Django admin: every Loom model registered, sensible lists, never private text.

Rows are written into every table with a marker in every private text (tests/admin/
data.py); every changelist, search, change page and history page is then read as the
world's admin and must show neither the marker nor ciphertext. The suite connects as
the database superuser, which row-level security does not bind, so these pages show
every row, as they would on SQLite: the admin must be private by itself.
tests/admin/test_admin_rls.py covers what PostgreSQL adds.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import SecurityPolicy
from loom.core.admin import CHECK_ID, PrivacyAwareAdmin
from loom.core.crypto import PREFIX as ENCRYPTED_PREFIX
from loom.core.fields import EncryptedTextField
from loom.journal.models import Entry
from loom.scheduling.models import ActionItem, Session
from tests.accounts.security_support import enable_totp
from tests.admin.data import PHONE, Batch, loom_models, model_key, populate
from tests.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db

MARKER = "PRIVATE-MARKER-4711"
SECOND_MARKER = "PRIVATE-MARKER-4712"
# Stated here, independently of loom.core.admin: plain columns that must never appear.
# (Every EncryptedTextField is checked on top of these.)
PRIVATE: dict[str, set[str]] = {
    "core.outboxmessage": {"payload"},
    "core.userevent": {"data"},
    "accounts.user": {"password", "phone", "avatar"},
    "accounts.invitation": {"message", "token_hash"},
    "accounts.smscode": {"code_hash", "phone"},
    "accounts.smsmessagelog": {"body"},
    "accounts.crisissignal": {"review_note"},
    "analytics.export": {"file", "params"},
    "journal.prompt": {"text"},
    "journal.entry": {"audio", "mood", "energy", "emotions", "sensations", "body_areas"},
    "messaging.message": {"body", "body_html"},
    "messaging.messageedit": {"body"},
    "messaging.attachment": {"file", "name"},
    "messaging.conversation": {"last_message"},
    "notifications.notification": {"title", "body", "url"},
    "notifications.pushsubscription": {"endpoint", "p256dh", "auth"},
    "scheduling.session": {"cancellation_reason", "meeting_url"},
    "scheduling.sessionevent": {"reason"},
    "scheduling.sessionseat": {"cancellation_reason"},
    "scheduling.sessiontype": {"address"},
    "scheduling.actionitem": {"title"},
    "scheduling.sessionattachment": {"file", "original_name"},
    "scheduling.calendarfeed": {"token_hash"},
    "scheduling.coachschedulingsettings": {"own_meeting_url"},
    "resources.resource": {"description", "url", "original_name", "search_text", "file"},
    "resources.resourceversion": {"original_name", "file"},
    "resources.collection": {"description", "cover"},
    "resources.resourceprogress": {"played"},
    "wellbeing.checkin": {"pleasantness", "energy", "emotions", "sensations", "sleep_hours"},
}


def _private(model: type[Model]) -> set[str]:
    names = set(PRIVATE.get(model_key(model), set()))
    names |= {f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)}
    return names


def _resolve(model: type[Model], lookup: str) -> tuple[type[Model], str] | None:
    """The (model, field) a lookup such as ``coach__email`` ends on, or None for a method."""
    current = model
    parts = lookup.lstrip("^=@-").split("__")
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if index == len(parts) - 1 or field.related_model is None:
            return current, field.name
        current = field.related_model
    return None


def _names(model_admin: Any, request: Any) -> dict[str, list[str]]:
    def strings(values: Any) -> list[str]:
        flat: list[str] = []
        for value in values or ():
            if isinstance(value, list | tuple):
                flat += strings(value[:1])
            elif isinstance(value, str):
                flat.append(value)
        return flat

    return {
        "list_display": strings(model_admin.get_list_display(request)),
        "list_display_links": strings(model_admin.list_display_links),
        "fields": strings(model_admin.get_fields(request)),
        "readonly_fields": strings(model_admin.get_readonly_fields(request)),
        "search_fields": strings(model_admin.search_fields),
        "list_filter": strings(model_admin.list_filter),
        "ordering": strings(model_admin.ordering),
        "date_hierarchy": strings([model_admin.date_hierarchy]),
    }


@pytest.fixture
def admin_client(world: World) -> Client:
    """The world's admin, signed in; admins must have a second factor to use the admin."""
    enable_totp(world.admin)
    client = signed_in(world.admin)
    client.get("/django-admin/")  # the session and device rows, before anything is counted
    return client


@pytest.fixture
def batch(world: World) -> Batch:
    return populate(MARKER, admin=world.admin)


def _changelist(model: type[Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _change(obj: Model, page: str = "change") -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{page}", args=[quote(obj.pk)])


def _assert_private(body: str, where: str) -> None:
    assert MARKER not in body, f"{where} shows private text"
    assert SECOND_MARKER not in body, f"{where} shows private text"
    assert ENCRYPTED_PREFIX not in body, f"{where} shows ciphertext"
    assert PHONE not in body, f"{where} shows a phone number"


# --- Registration and configuration ---------------------------------------------------------


def test_every_loom_model_is_registered_with_a_privacy_aware_admin() -> None:
    models = loom_models()
    assert len(models) > 60
    missing = [model_key(m) for m in models if m not in admin.site._registry]
    assert missing == []
    wrong = [
        model_key(m) for m in models if not isinstance(admin.site._registry[m], PrivacyAwareAdmin)
    ]
    assert wrong == []


def test_no_admin_option_names_an_encrypted_or_private_field(world: World) -> None:
    request = RequestFactory().get("/django-admin/")
    request.user = world.admin
    problems = []
    for model in loom_models():
        model_admin = admin.site._registry[model]
        for option, names in _names(model_admin, request).items():
            for name in names:
                reached = _resolve(model, name)
                if reached and reached[1] in _private(reached[0]):
                    problems.append(f"{model_key(model)}.{option}: {name}")
    assert problems == []


def test_every_loom_admin_passes_its_system_checks() -> None:
    errors = [e for m in loom_models() for e in admin.site._registry[m].check()]
    assert errors == []


def test_a_subclass_cannot_list_an_encrypted_field() -> None:
    class Careless(PrivacyAwareAdmin):
        list_display = ("id", "body")
        search_fields = ("title", "author__email")
        fields = ("author", "body")

    careless = Careless(Entry, admin.site)
    ids = [error.id for error in careless.check()]
    assert ids.count(CHECK_ID) == 3
    # And at run time the base class leaves it out regardless.
    request = RequestFactory().get("/")
    assert "body" not in careless.get_list_display(request)
    assert careless.get_search_fields(request) == ["author__email"]
    assert careless.get_fields(request) == ["author"]
    assert "body" in careless.get_queryset(request).query.deferred_loading[0]


def test_a_subclass_cannot_search_a_private_field_of_a_related_model() -> None:
    class Sneaky(PrivacyAwareAdmin):
        search_fields = ("session__cancellation_reason", "action_item__title")

    from loom.wellbeing.models import GoalActionItem

    errors = Sneaky(GoalActionItem, admin.site).check()
    assert [error.id for error in errors] == [CHECK_ID]  # action_item isn't on the model
    errors = Sneaky(ActionItem, admin.site).check()
    assert [error.id for error in errors] == [CHECK_ID]


def test_records_that_change_through_services_are_read_only(world: World) -> None:
    request = RequestFactory().get("/")
    request.user = world.admin
    editable = [
        model_key(model)
        for model in loom_models()
        if admin.site._registry[model].has_add_permission(request)
        or admin.site._registry[model].has_change_permission(request)
        or admin.site._registry[model].has_delete_permission(request)
    ]
    assert editable == []
    assert all(admin.site._registry[m].has_view_permission(request) for m in loom_models())


# --- Pages ------------------------------------------------------------------------------------


def test_every_changelist_search_and_change_page_renders_without_private_text(
    admin_client: Client, batch: Batch
) -> None:
    assert set(batch.rows) >= set(loom_models()), "the data set must fill every table"
    for model in loom_models():
        url = _changelist(model)
        response = admin_client.get(url)
        assert response.status_code == 200, url
        _assert_private(response.content.decode(), url)
        searched = admin_client.get(url, {"q": "example"})
        assert searched.status_code == 200, f"{url}?q="
        obj = batch.rows[model]
        for page in (_change(obj), _change(obj, "history")):
            response = admin_client.get(page)
            assert response.status_code == 200, page
            _assert_private(response.content.decode(), page)


def test_changelists_show_rows_with_their_people(admin_client: Client, batch: Batch) -> None:
    body = admin_client.get(_changelist(Session)).content.decode()
    assert batch.coach.email in body or batch.coach.full_name in body
    assert batch.client.full_name in body
    assert "Coaching" in body


def test_objects_whose_names_are_private_are_called_by_kind_and_number(
    admin_client: Client, batch: Batch
) -> None:
    item = batch.rows[ActionItem]
    body = admin_client.get(_change(item)).content.decode()
    assert f"Action item #{item.pk}" in body
    from loom.wellbeing.models import GoalActionItem

    link = batch.rows[GoalActionItem]
    body = admin_client.get(_change(link)).content.decode()
    assert f"Action item #{item.pk}" in body


def test_changelists_use_a_constant_number_of_queries(
    admin_client: Client, batch: Batch, world: World
) -> None:
    def counts() -> dict[str, int]:
        measured = {}
        for model in loom_models():
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(_changelist(model)).status_code == 200
            measured[model_key(model)] = len(queries)
        return measured

    # A frozen clock: the session and device rows are refreshed once a minute, which
    # would add a write to whichever page happened to cross the minute.
    with time_machine.travel(timezone.now(), tick=False):
        before = counts()
        populate(SECOND_MARKER, admin=world.admin)
        after = counts()
    assert after == before
    assert max(after.values()) <= 12, after


def test_change_pages_use_a_bounded_number_of_queries(
    admin_client: Client, batch: Batch, world: World
) -> None:
    second = populate(SECOND_MARKER, admin=world.admin)
    with time_machine.travel(timezone.now(), tick=False):
        for model in loom_models():
            admin_client.get(_change(batch.rows[model]))  # per-process caches (content types)
            measured = []
            for obj in (batch.rows[model], second.rows[model]):
                with CaptureQueriesContext(connection) as queries:
                    assert admin_client.get(_change(obj)).status_code == 200
                measured.append(len(queries))
            assert measured[0] == measured[1], model_key(model)
            assert measured[0] <= 15, (model_key(model), measured)


def test_management_pages_point_to_loom_admin_area(admin_client: Client) -> None:
    SecurityPolicy.current()
    body = admin_client.get(_changelist(SecurityPolicy)).content.decode()
    assert reverse("admin_area:security") in body
    # Read-only: the row cannot be changed here (the security page audits the change).
    response = admin_client.post(_change(SecurityPolicy.current()), {"require_coach_mfa": "on"})
    assert response.status_code == 403
    assert SecurityPolicy.current().require_coach_mfa is False


def test_writes_are_refused_and_change_nothing(admin_client: Client, batch: Batch) -> None:
    session = batch.rows[Session]
    assert admin_client.get(reverse("admin:scheduling_session_add")).status_code == 403
    assert admin_client.post(_change(session), {"status": "cancelled"}).status_code == 403
    assert admin_client.post(_change(session, "delete"), {"post": "yes"}).status_code == 403
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_bad_ids_and_parameters_get_an_answer_not_an_error(admin_client: Client) -> None:
    for path in (
        "/django-admin/scheduling/session/999999/change/",
        "/django-admin/scheduling/session/not-a-number/change/",
        "/django-admin/analytics/export/not-a-uuid/change/",
    ):
        response = admin_client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/django-admin/"
    for query in ({"o": "99"}, {"status__exact": "nonsense"}, {"nope": "1"}, {"p": "-4"}):
        response = admin_client.get(_changelist(Session), query)
        assert response.status_code in {200, 302}, query


# --- Other libraries' admins ------------------------------------------------------------------


def test_authenticators_and_devices_show_no_secrets(admin_client: Client, world: World) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    totp = Authenticator.objects.get(user=world.admin, type=Authenticator.Type.TOTP)
    secret_part = str(totp.data.get("secret", ""))[:20]
    body = admin_client.get(_change(totp)).content.decode()
    assert secret_part and secret_part not in body
    assert admin_client.get("/django-admin/mfa/authenticator/").status_code == 200
    device = UserSession.objects.filter(user=world.admin).first()
    assert device is not None
    body = admin_client.get(_change(device)).content.decode()
    assert device.session_key not in body
    assert admin_client.post(_change(totp), {"type": "totp"}).status_code == 403


# --- Who may use it ---------------------------------------------------------------------------


def test_coaches_and_clients_are_sent_to_the_admin_sign_in(world: World, batch: Batch) -> None:
    for person in (world.dana, world.avi):
        client = signed_in(person)
        for url in ("/django-admin/", _changelist(Session), _change(batch.rows[Session])):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/django-admin/login/"), url
        # The admin's own password form is closed to them: they are sent home.
        response = client.get("/django-admin/login/?next=/django-admin/")
        assert response.status_code == 302
        assert not response["Location"].startswith("/django-admin/")
    anonymous = Client().get(_changelist(Session))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/django-admin/login/")


def test_an_admin_without_a_second_factor_must_set_one_up_first(world: World) -> None:
    response = signed_in(world.admin).get(_changelist(Session))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:mfa_setup"))
