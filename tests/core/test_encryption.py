"""Sensitive text encrypted at rest (DESIGN.md rule 2), and rolling to a new key."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from loom.accounts.models import ClientProfile
from loom.core.context import system_context
from loom.core.crypto import PREFIX, DecryptionError, decrypt_text, encrypt_text, generate_key
from loom.core.key_rotation import (
    encrypted_json_locations,
    encrypted_text_fields,
    encryption_keys_rotate,
)
from tests.accounts.security_support import enable_totp, stored_totp_secret, totp_code

# app_role is the fixture that creates the application role (used by name below).
from tests.security.conftest import APP_ROLE, app_role, application_connections  # noqa: F401
from tests.world import World

pytestmark = pytest.mark.django_db

OLD_KEY = settings.FIELD_ENCRYPTION_KEYS[0]
NEW_KEY = Fernet.generate_key().decode()
INTAKE = "To sleep better — ולישון טוב יותר"


def _raw_goals(profile: ClientProfile) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT goals FROM accounts_clientprofile WHERE id = %s", [profile.pk])
        return str(cursor.fetchone()[0])


def _set_raw_goals(profile: ClientProfile, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_clientprofile SET goals = %s WHERE id = %s", [value, profile.pk]
        )


def _intake(world: World) -> ClientProfile:
    profile = world.avi.client_profile
    profile.goals = INTAKE
    profile.reason = "A new job"
    profile.save()
    return profile


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


def test_encrypted_field_round_trips(world):
    _intake(world)
    profile = ClientProfile.objects.get(user=world.avi)
    assert profile.goals == INTAKE
    assert profile.reason == "A new job"


def test_empty_value_is_stored_empty_and_needs_no_key(world):
    profile = world.noa.client_profile
    assert _raw_goals(profile) == ""
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert ClientProfile.objects.get(pk=profile.pk).goals == ""


def test_stored_value_is_ciphertext_without_the_plaintext(world):
    profile = _intake(world)
    stored = _raw_goals(profile)
    assert stored.startswith(PREFIX)
    assert "sleep" not in stored
    assert "ולישון" not in stored
    # The same text twice gives two different ciphertexts (random IV).
    assert encrypt_text(INTAKE) != encrypt_text(INTAKE)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda s: s[:-6] + ("A" if s[-6] != "A" else "B") + s[-5:], id="one-char"),
        pytest.param(lambda s: s[:-20], id="truncated"),
        pytest.param(lambda s: s.removeprefix(PREFIX), id="prefix-removed"),
        pytest.param(lambda s: PREFIX + "not-a-token", id="garbage"),
    ],
)
def test_tampered_ciphertext_raises_instead_of_reading(world, tamper):
    profile = _intake(world)
    _set_raw_goals(profile, tamper(_raw_goals(profile)))
    with pytest.raises(DecryptionError, match=r"accounts\.ClientProfile\.goals"):
        ClientProfile.objects.get(pk=profile.pk)


def test_value_under_an_unknown_key_gives_a_clear_error(world):
    profile = _intake(world)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(DecryptionError) as error,
    ):
        ClientProfile.objects.get(pk=profile.pk)
    message = str(error.value)
    assert "accounts.ClientProfile.goals" in message
    assert "FIELD_ENCRYPTION_KEYS" in message
    assert "removed" in message
    assert isinstance(error.value, ValueError)  # the documented API of decrypt_text


def test_after_adding_a_key_first_and_rotating_the_old_key_can_be_removed(world):
    profile = _intake(world)
    secret = enable_totp(world.dana)
    before = _raw_goals(profile)

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        # Both keys configured: old values still read before the rotation.
        assert ClientProfile.objects.get(pk=profile.pk).goals == INTAKE
        output = _rotate()
    assert "accounts.ClientProfile.goals: 1 re-encrypted, 0 already current" in output
    assert "accounts.ClientProfile.reason: 1 re-encrypted" in output
    # Dana's TOTP secret and recovery-code seed, encrypted by our MFA adapter.
    assert "mfa.Authenticator.data[secret, seed]: 2 re-encrypted" in output
    assert _raw_goals(profile) != before

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert ClientProfile.objects.get(pk=profile.pk).goals == INTAKE
        assert ClientProfile.objects.get(pk=profile.pk).reason == "A new job"
        assert stored_totp_secret(world.dana) == secret
        assert totp_code(stored_totp_secret(world.dana)) == totp_code(secret)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]),
        pytest.raises(DecryptionError),
    ):
        ClientProfile.objects.get(pk=profile.pk)


def test_rotation_is_idempotent(world):
    profile = _intake(world)
    enable_totp(world.dana)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        _rotate()
        after_first = _raw_goals(profile)
        output = _rotate()
    assert "accounts.ClientProfile.goals: 0 re-encrypted, 1 already current" in output
    assert "mfa.Authenticator.data[secret, seed]: 0 re-encrypted, 2 already current" in output
    assert "Total: 0 re-encrypted, 4 already current, 0 unreadable." in output
    # Already-current values are not rewritten at all.
    assert _raw_goals(profile) == after_first


def test_rotation_works_in_batches_smaller_than_the_table(world):
    for user in (world.avi, world.noa, world.maya):
        user.client_profile.goals = f"goals of {user.email}"
        user.client_profile.save()
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        output = _rotate("--batch-size", "1")
    assert "accounts.ClientProfile.goals: 3 re-encrypted" in output
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert sorted(ClientProfile.objects.values_list("goals", flat=True)) == sorted(
            f"goals of {user.email}" for user in (world.avi, world.noa, world.maya)
        )


def test_check_changes_nothing_and_fails_until_everything_is_rotated(world):
    profile = _intake(world)
    before = _raw_goals(profile)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        with pytest.raises(CommandError, match="not under the first key yet"):
            _rotate("--check")
        assert _raw_goals(profile) == before
        _rotate()
        assert "Total: 0 to re-encrypt" in _rotate("--check")


def test_unreadable_values_are_reported_left_alone_and_fail_the_command(world):
    profile = _intake(world)
    before = _raw_goals(profile)
    out = StringIO()
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(CommandError, match="could not be decrypted"),
    ):
        call_command("rotate_encryption_keys", stdout=out)
    assert (
        "accounts.ClientProfile.goals: 0 re-encrypted, 0 already current, "
        f"1 UNREADABLE (ids: [{profile.pk}])"
    ) in out.getvalue()
    assert _raw_goals(profile) == before


def test_rotation_discovers_every_encrypted_field_through_the_app_registry():
    labels = {f"{field.model._meta.label}.{field.name}" for field in encrypted_text_fields()}
    assert {"accounts.ClientProfile.goals", "accounts.ClientProfile.reason"} <= labels
    assert [(loc.model, loc.field) for loc in encrypted_json_locations()] == [
        ("mfa.Authenticator", "data")
    ]


def test_generated_key_is_a_working_fernet_key():
    out = StringIO()
    call_command("generate_encryption_key", stdout=out)
    key = out.getvalue().strip()
    assert key != generate_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        assert decrypt_text(encrypt_text("hello")) == "hello"


@pytest.mark.postgres
@pytest.mark.usefixtures("app_role")
def test_rotation_runs_under_row_level_security_as_the_application_role(transactional_db):
    world = World.build()
    profile = _intake(world)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]),
        application_connections(APP_ROLE),
    ):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (APP_ROLE,)
        # Nobody acting: row-level security hides every intake, so nothing is touched.
        reports = {r.label: r for r in encryption_keys_rotate()}
        assert reports["accounts.ClientProfile.goals"].rotated == 0
        # The command states the system context and reaches every row.
        assert "accounts.ClientProfile.goals: 1 re-encrypted" in _rotate()
        with system_context():
            assert "Total: 0 to re-encrypt" in _rotate("--check")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert ClientProfile.objects.get(pk=profile.pk).goals == INTAKE
