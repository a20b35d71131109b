"""Invitations: a coach invites, the person accepts once, and every bad link writes nothing."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from loom.accounts import services
from loom.accounts.models import CoachClient, ConsentRecord, Invitation, Onboarding, Role, User
from loom.accounts.selectors import invitation_token_hash
from loom.core.errors import Conflict, DomainError
from loom.core.models import AuditLog, OutboxMessage
from tests.conftest import signed_in
from tests.factories import ClientFactory, InvitationFactory
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern harbour quietly sings"
LINK = re.compile(r"https?://[^\s\"<>]+/invite/([A-Za-z0-9_-]{43})/")


def _invite(coach, email="new.client@example.com", **extra):
    return services.invitation_create(
        coach=coach, email=email, full_name=extra.pop("full_name", "Tamar Golan"), **extra
    )


def _accept_post(token: str, client: Client | None = None, **overrides):
    data = {
        "full_name": "Tamar Golan",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "timezone": "Asia/Jerusalem",
        "accept_terms": "on",
        **overrides,
    }
    return (client or Client()).post(f"/invite/{token}/", data)


def _written_state() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        CoachClient.objects.count(),
        ConsentRecord.objects.count(),
        Invitation.objects.filter(accepted_at__isnull=False).count(),
    )


# --- Creating and sending -----------------------------------------------------------------


def test_coach_invites_by_form_and_only_the_token_hash_is_stored(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.dana).post(
            "/coach/clients/invite/",
            {
                "full_name": "Tamar Golan",
                "email": "Tamar@Example.com",
                "language": "he",
                "message": "Looking forward!",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == "/coach/clients/"
    invitation = Invitation.objects.get()
    assert invitation.email == "tamar@example.com"
    assert invitation.coach == world.dana
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)

    [email] = mail.outbox
    assert email.to == ["tamar@example.com"]
    [token] = LINK.findall(email.body)
    assert invitation.token_hash == invitation_token_hash(token)
    assert token not in invitation.token_hash
    # In the invitee's language (Hebrew), with Dana's personal message, text and HTML.
    assert email.extra_headers["Content-Language"] == "he"
    with translation.override("he"):
        expected_subject = translation.gettext("%(coach)s invited you to Loom") % {
            "coach": "Dana Levi"
        }
    assert email.subject == expected_subject
    assert "Looking forward!" in email.body
    html = email.alternatives[0].content
    assert f"/invite/{token}/" in html
    assert 'lang="he" dir="rtl"' in html
    assert AuditLog.objects.filter(
        action="invitation.created", actor=world.dana, target_id=str(invitation.pk)
    ).exists()


def test_a_coach_cannot_invite_themselves(world):
    with pytest.raises(DomainError) as refused:
        _invite(world.dana, email="DANA@example.com")
    assert refused.value.code == "self_invite"
    assert not Invitation.objects.exists()


def test_a_coach_cannot_invite_an_existing_client_of_theirs(world):
    with pytest.raises(Conflict) as refused:
        _invite(world.dana, email="avi@example.com")
    assert refused.value.code == "already_client"
    services.client_archive(coach=world.dana, client_id=world.avi.pk)
    with pytest.raises(Conflict) as refused:
        _invite(world.dana, email="avi@example.com")
    assert refused.value.code == "archived_client"
    assert not Invitation.objects.exists()


def test_another_coachs_client_can_be_invited(world):
    sent = _invite(world.dana, email="maya@example.com")
    assert sent.invitation.email == "maya@example.com"


def test_inviting_the_same_address_again_resends_the_open_invitation(world):
    first = _invite(world.dana)
    second = _invite(world.dana, email="NEW.client@example.com", full_name="Tamar G.")
    assert second.resent
    assert second.invitation.pk == first.invitation.pk
    assert Invitation.objects.count() == 1
    assert second.invitation.full_name == "Tamar G."
    assert OutboxMessage.objects.count() == 2


def test_invitation_form_rejects_overlong_and_nul_fields_and_writes_nothing(world):
    client = signed_in(world.dana)
    for data in (
        {"full_name": "x" * 10_000, "email": "a@example.com", "language": "en"},
        {"full_name": "Tamar", "email": ("a" * 10_000) + "@example.com", "language": "en"},
        {"full_name": "Tamar", "email": "a@example.com", "language": "en", "message": "m" * 10_000},
        {"full_name": "Ta\x00mar", "email": "a@example.com", "language": "en"},
        {"full_name": "Tamar", "email": "a@example.com", "language": "en", "message": "hi\x00"},
        {"full_name": "Tamar", "email": "not-an-address", "language": "en"},
        {"full_name": "Tamar", "email": "a@example.com", "language": "xx"},
    ):
        response = client.post("/coach/clients/invite/", data)
        assert response.status_code == 400, data
        assert b"field-errors" in response.content
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_service_rejects_nul_bytes_and_overlong_values_too(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _invite(world.dana, full_name="a\x00b")
    with pytest.raises(ValidationError):
        _invite(world.dana, message="m" * 10_000)
    assert not Invitation.objects.exists()


def test_clients_cannot_invite(world):
    response = signed_in(world.avi).post(
        "/coach/clients/invite/", {"full_name": "X", "email": "x@example.com", "language": "en"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/client/"
    assert not Invitation.objects.exists()


def test_daily_cap_on_new_invitations(world, settings):
    settings.LOOM_INVITATIONS_PER_COACH_PER_DAY = 2
    _invite(world.dana, email="one@example.com")
    _invite(world.dana, email="two@example.com")
    with pytest.raises(services.TooManyRequests):
        _invite(world.dana, email="three@example.com")
    assert Invitation.objects.count() == 2


# --- Resend and revoke --------------------------------------------------------------------


def test_resend_rotates_the_token_and_the_old_link_dies(world):
    first = _invite(world.dana)
    again = services.invitation_resend(coach=world.dana, invitation_id=first.invitation.pk)
    assert again.token != first.token
    assert Client().get(f"/invite/{first.token}/").status_code == 404
    assert Client().get(f"/invite/{again.token}/").status_code == 200
    assert again.invitation.sent_count == 2
    assert AuditLog.objects.filter(action="invitation.resent").count() == 1


def test_resend_is_limited_to_five_sends_a_day(world):
    sent = _invite(world.dana)
    for _ in range(4):
        services.invitation_resend(coach=world.dana, invitation_id=sent.invitation.pk)
    with pytest.raises(services.TooManyRequests):
        services.invitation_resend(coach=world.dana, invitation_id=sent.invitation.pk)
    assert OutboxMessage.objects.count() == 5
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        services.invitation_resend(coach=world.dana, invitation_id=sent.invitation.pk)
    assert OutboxMessage.objects.count() == 6


def test_resend_limit_is_shown_as_a_message_in_the_roster(world):
    sent = _invite(world.dana)
    Invitation.objects.filter(pk=sent.invitation.pk).update(sends_in_window=5)
    response = signed_in(world.dana).post(
        f"/coach/clients/invitations/{sent.invitation.pk}/resend/", follow=True
    )
    assert response.status_code == 200
    assert "sent 5 times today" in response.content.decode()


def test_revoke_needs_confirmation_and_kills_the_link(world):
    sent = _invite(world.dana)
    dana = signed_in(world.dana)
    confirm = dana.get(f"/coach/clients/invitations/{sent.invitation.pk}/revoke/")
    assert confirm.status_code == 200
    assert Invitation.objects.get().revoked_at is None
    assert dana.post(f"/coach/clients/invitations/{sent.invitation.pk}/revoke/").status_code == 302
    assert Invitation.objects.get().revoked_at is not None
    page = Client().get(f"/invite/{sent.token}/")
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()
    assert AuditLog.objects.filter(action="invitation.revoked").count() == 1


def test_a_coach_cannot_resend_or_revoke_another_coachs_invitation(world):
    sent = _invite(world.eli)
    dana = signed_in(world.dana)
    assert dana.post(f"/coach/clients/invitations/{sent.invitation.pk}/resend/").status_code == 404
    assert dana.get(f"/coach/clients/invitations/{sent.invitation.pk}/revoke/").status_code == 404
    assert dana.post(f"/coach/clients/invitations/{sent.invitation.pk}/revoke/").status_code == 404
    invitation = Invitation.objects.get()
    assert invitation.revoked_at is None
    assert invitation.sent_count == 1


def test_a_revoked_or_accepted_invitation_cannot_be_resent(world):
    sent = _invite(world.dana)
    services.invitation_revoke(coach=world.dana, invitation_id=sent.invitation.pk)
    with pytest.raises(Conflict):
        services.invitation_resend(coach=world.dana, invitation_id=sent.invitation.pk)


# --- Accepting ---------------------------------------------------------------------------------


def test_accepting_creates_a_verified_client_linked_to_the_coach_and_signs_in(world):
    sent = _invite(world.dana, language="he")
    visitor = Client()
    page = visitor.get(f"/invite/{sent.token}/")
    assert page.status_code == 200
    assert "Dana Levi" in page.content.decode()

    response = _accept_post(sent.token, visitor)
    assert response.status_code == 302
    assert response["Location"] == "/onboarding/client/profile/"

    tamar = User.objects.get(email="new.client@example.com")
    assert tamar.role == Role.CLIENT
    assert tamar.language == "he"
    assert tamar.timezone == "Asia/Jerusalem"
    assert tamar.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=tamar).verified
    assert CoachClient.objects.get(client=tamar).coach == world.dana
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == tamar
    assert set(ConsentRecord.objects.filter(user=tamar).values_list("document", flat=True)) == {
        "terms",
        "privacy",
    }
    onboarding = Onboarding.objects.get(user=tamar)
    assert onboarding.consent_at is not None
    assert onboarding.completed_at is None
    assert AuditLog.objects.filter(action="invitation.accepted", actor=tamar).exists()
    # Signed in: the client home leads into onboarding.
    assert visitor.get("/client/")["Location"] == "/onboarding/client/profile/"


def test_a_replayed_link_shows_a_clear_page_and_writes_nothing(world):
    sent = _invite(world.dana)
    assert _accept_post(sent.token).status_code == 302
    before = _written_state()
    again = _accept_post(sent.token, full_name="Someone Else")
    assert again.status_code == 410
    assert "already accepted" in again.content.decode()
    assert _written_state() == before


def test_an_expired_link_shows_a_clear_page_and_writes_nothing(world):
    sent = _invite(world.dana)
    before = _written_state()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        page = Client().get(f"/invite/{sent.token}/")
        assert page.status_code == 410
        assert "expired" in page.content.decode()
        assert _accept_post(sent.token).status_code == 410
    assert _written_state() == before


@pytest.mark.parametrize(
    "token",
    [
        "short",
        "x" * 10_000,
        "A" * 42 + "!",
        "A" * 43,  # well formed, but no such invitation
        "%00" + "A" * 40,
    ],
)
def test_malformed_and_unknown_links_are_not_found_and_write_nothing(world, token):
    _invite(world.dana)
    before = _written_state()
    page = Client().get(f"/invite/{token}/")
    assert page.status_code == 404
    assert "could not find this invitation" in page.content.decode()
    assert _accept_post(token).status_code == 404
    assert _written_state() == before


def test_accept_form_errors_write_nothing_and_keep_the_invitation_open(world):
    sent = _invite(world.dana)
    before = _written_state()
    for overrides in (
        {"password1": "short", "password2": "short"},
        {"password2": "a different passphrase"},
        {"accept_terms": ""},
        {"full_name": ""},
        {"full_name": "x" * 10_000},
        {"full_name": "Ta\x00mar"},
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "x" * 10_000},
    ):
        response = _accept_post(sent.token, **overrides)
        assert response.status_code == 200, overrides
        assert b"field-errors" in response.content, overrides
    assert _written_state() == before
    assert Invitation.objects.get().accepted_at is None


def test_an_existing_account_is_asked_to_sign_in_then_links(world):
    sent = _invite(world.dana, email="maya@example.com")
    page = Client().get(f"/invite/{sent.token}/")
    assert page.status_code == 200
    assert "Sign in to accept" in page.content.decode()
    assert not User.objects.filter(email="maya@example.com").exclude(pk=world.maya.pk).exists()

    maya = signed_in(world.maya)
    confirm = maya.get(f"/invite/{sent.token}/")
    assert confirm.status_code == 200
    assert "Accept invitation" in confirm.content.decode()
    response = maya.post(f"/invite/{sent.token}/")
    assert response.status_code == 302
    assert CoachClient.objects.filter(coach=world.dana, client=world.maya).exists()
    # Still Eli's client too.
    assert CoachClient.objects.filter(coach=world.eli, client=world.maya).exists()
    assert User.objects.filter(email="maya@example.com").count() == 1


def test_signed_in_as_someone_else_the_link_refuses_and_writes_nothing(world):
    sent = _invite(world.dana)
    before = _written_state()
    noa = signed_in(world.noa)
    assert noa.get(f"/invite/{sent.token}/").status_code == 403
    assert noa.post(f"/invite/{sent.token}/").status_code == 403
    assert _written_state() == before


def test_a_coach_account_cannot_accept_a_client_invitation(world):
    sent = _invite(world.dana, email="eli@example.com")
    eli = signed_in(world.eli)
    response = eli.post(f"/invite/{sent.token}/")
    assert response.status_code == 200
    # Eli reads Loom in Hebrew: the refusal is in his language.
    with translation.override(world.eli.language):
        refusal = translation.gettext(
            "This invitation is for a client account, and yours is not one."
        )
    assert refusal in response.content.decode()
    assert not CoachClient.objects.filter(client=world.eli).exists()
    assert Invitation.objects.get().accepted_at is None


def test_service_refuses_a_second_acceptance(world):
    sent = _invite(world.dana)
    services.invitation_accept(
        token=sent.token, full_name="Tamar", password=NEW_PASSWORD, accepted_terms=True
    )
    with pytest.raises(services.InvitationUnavailable):
        services.invitation_accept(
            token=sent.token, full_name="Tamar", password=NEW_PASSWORD, accepted_terms=True
        )
    assert User.objects.filter(email="new.client@example.com").count() == 1


def test_an_invitation_to_an_address_that_signed_up_meanwhile_asks_to_sign_in(world):
    sent = _invite(world.dana)
    ClientFactory(email="new.client@example.com")
    before = _written_state()
    with pytest.raises(Conflict):
        services.invitation_accept(
            token=sent.token, full_name="Tamar", password=NEW_PASSWORD, accepted_terms=True
        )
    assert _written_state() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptance_of_one_invitation_creates_one_account():
    invitation = InvitationFactory(email="race@example.com")
    token = invitation.token
    results: list[str] = []
    barrier = threading.Barrier(4)

    def accept(n: int) -> None:
        try:
            barrier.wait()
            services.invitation_accept(
                token=token, full_name=f"Racer {n}", password=NEW_PASSWORD, accepted_terms=True
            )
            results.append("ok")
        except (services.InvitationUnavailable, Conflict):
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    assert User.objects.filter(email="race@example.com").count() == 1
    assert CoachClient.objects.filter(client__email="race@example.com").count() == 1
    assert AuditLog.objects.filter(action="invitation.accepted").count() == 1
    # The coach is told once.
    assert OutboxMessage.objects.filter(channel="notice").count() == 1


def test_world_password_still_signs_in_after_linking(world):
    # Linking an existing account must not touch its password.
    sent = _invite(world.dana, email="maya@example.com")
    services.invitation_accept(token=sent.token, user=world.maya)
    world.maya.refresh_from_db()
    assert world.maya.check_password(PASSWORD)


# --- Telling the coach -------------------------------------------------------------------------


def _accepted_notices():
    return [
        row.payload
        for row in OutboxMessage.objects.filter(channel="notice").order_by("id")
        if row.payload["kind"] == "invitation_accepted"
    ]


def test_the_coach_is_told_once_in_their_language_with_a_link_to_the_client(world):
    sent = _invite(world.dana, language="he")
    tamar = services.invitation_accept(
        token=sent.token, full_name="Tamar Golan", password=NEW_PASSWORD, accepted_terms=True
    )
    with pytest.raises(services.InvitationUnavailable):
        services.invitation_accept(
            token=sent.token, full_name="Tamar", password=NEW_PASSWORD, accepted_terms=True
        )

    [notice] = _accepted_notices()
    assert notice["user_id"] == world.dana.pk
    assert notice["source"] == f"invitation:{sent.invitation.pk}:accepted"
    # Dana reads English, whatever the language of the client she invited.
    assert notice["title"] == "Tamar Golan accepted your invitation"
    assert notice["body"] == "Tamar Golan accepted your invitation and is now your client in Loom."
    assert notice["url"] == f"/coach/clients/{tamar.pk}/"
    assert notice["email"]["language"] == "en"
    assert notice["email"]["subject"] == notice["title"]
    # The link opens the client's page for the coach.
    assert signed_in(world.dana).get(notice["url"]).status_code == 200


def test_a_hebrew_coach_is_told_in_hebrew_by_email(
    world, mail_via_smtp, django_capture_on_commit_callbacks
):
    sent = _invite(world.eli, email="maya.friend@example.com")
    mail_via_smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        friend = services.invitation_accept(
            token=sent.token, full_name="Shira Levi", password=NEW_PASSWORD, accepted_terms=True
        )

    [message] = [m for m in mail_via_smtp.wait_for(1) if m["To"] == world.eli.email]
    with translation.override("he"):
        subject = translation.gettext("%(client)s accepted your invitation") % {
            "client": "Shira Levi"
        }
    assert message["Subject"] == subject
    # The greeting and the footer come from the Hebrew catalogue.
    assert re.search(r"[\u0590-\u05FF]", message.get_body(("plain",)).get_content())
    assert message["Content-Language"] == "he"
    html = message.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html
    assert f"/coach/clients/{friend.pk}/" in html


def test_a_coach_who_turned_email_off_for_it_is_told_in_loom_only(
    world, django_capture_on_commit_callbacks
):
    from loom.core.context import system_context
    from loom.notifications.models import ChannelChoice, Notification

    ChannelChoice.objects.create(
        user=world.dana, kind="invitation_accepted", channel="email", enabled=False
    )
    sent = _invite(world.dana)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tamar = services.invitation_accept(
            token=sent.token, full_name="Tamar Golan", password=NEW_PASSWORD, accepted_terms=True
        )

    with system_context():
        [notification] = Notification.objects.filter(user=world.dana)
    assert notification.kind == "invitation_accepted"
    assert notification.url == f"/coach/clients/{tamar.pk}/"
    assert [m for m in mail.outbox if m.to == [world.dana.email]] == []
