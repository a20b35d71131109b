"""The library strings Loom translates itself (loom/core/third_party_messages.py).

Each msgid there only works while it is byte-for-byte the library's own text; after
an upgrade a changed msgid would silently fall back to English (or to the library's
Hebrew). These tests catch that, and check that the Hebrew really reaches the pages:
the password-length error on sign-up and the Django admin in Hebrew.
"""

from __future__ import annotations

import ast
from pathlib import Path

import allauth
import django
import polib
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from loom.accounts.admin import permission_label
from loom.core.models import AuditLog
from tests.conftest import signed_in
from tests.world import World

MODULE = Path(__file__).resolve().parents[2] / "loom" / "core" / "third_party_messages.py"
DJANGO = Path(django.__file__).parent
ALLAUTH = Path(allauth.__file__).parent
LIBRARY_CATALOGS = {
    "DJANGO": [
        DJANGO / "conf/locale/he/LC_MESSAGES/django.po",
        DJANGO / "contrib/auth/locale/he/LC_MESSAGES/django.po",
    ],
    "DJANGO_ADMIN": [DJANGO / "contrib/admin/locale/he/LC_MESSAGES/django.po"],
    "ALLAUTH": [ALLAUTH / "locale/he/LC_MESSAGES/django.po"],
}


def module_msgids() -> dict[str, list[str]]:
    """The first string argument of every call in each tuple of the module, by tuple name."""
    found: dict[str, list[str]] = {}
    for node in ast.parse(MODULE.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            name = node.targets[0].id  # type: ignore[attr-defined]
            found[name] = [
                str(call.args[0].value)
                for call in node.value.elts
                if isinstance(call, ast.Call) and isinstance(call.args[0], ast.Constant)
            ]
    return found


@pytest.mark.parametrize("group", sorted(LIBRARY_CATALOGS))
def test_every_msgid_is_still_the_library_text(group: str) -> None:
    library = {entry.msgid for path in LIBRARY_CATALOGS[group] for entry in polib.pofile(str(path))}
    msgids = module_msgids()[group]
    assert msgids
    assert [m for m in msgids if m not in library] == []


def test_django_tasks_db_strings_are_its_model_names() -> None:
    with translation.override("en"):
        names = {str(field.verbose_name) for field in DBTaskResult._meta.fields}
        names |= {str(DBTaskResult._meta.verbose_name), str(DBTaskResult._meta.verbose_name_plural)}
    assert set(module_msgids()["DJANGO_TASKS_DB"]) <= names


def test_the_password_length_error_is_hebrew() -> None:
    with translation.override("he"), pytest.raises(ValidationError) as refused:
        validate_password("x7#kQ")
    assert "הסיסמה קצרה מדי" in " ".join(refused.value.messages)


def test_builtin_permissions_are_labelled_in_the_readers_language(db: None) -> None:
    permission = Permission.objects.get(codename="view_auditlog")
    with translation.override("he"):
        label = permission_label(permission)
    assert label == "ליבת Loom | רשומת יומן ביקורת | הרשאת צפייה: רשומת יומן ביקורת"
    with translation.override("en"):
        assert permission_label(permission).endswith("| Can view audit log entry")
    assert AuditLog._meta.model_name == "auditlog"


def test_a_custom_permission_keeps_its_stored_name(db: None) -> None:
    permission = Permission.objects.get(codename="view_auditlog")
    permission.codename = "export_auditlog"
    permission.name = "Can export the audit log"
    with translation.override("he"):
        assert permission_label(permission).endswith("| Can export the audit log")


@pytest.mark.parametrize(
    ("url", "hebrew"),
    [
        ("/django-admin/auth/group/add/", "הרשאת הוספה: הודעה בדואר היוצא"),
        ("/django-admin/mfa/authenticator/", "מועד יצירה"),
        ("/django-admin/usersessions/usersession/", "פעילות אחרונה"),
        ("/django-admin/core/outboxmessage/", "מעבר בין עמודים: דואר יוצא"),
    ],
)
def test_the_django_admin_speaks_hebrew(world: World, url: str, hebrew: str) -> None:
    TOTP.activate(world.admin, generate_totp_secret())
    world.admin.language = "he"
    world.admin.save(update_fields=["language"])
    browser = signed_in(world.admin)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "he"

    page = browser.get(url).content.decode()

    assert hebrew in page
    assert "Created at" not in page
    assert "Can add" not in page
