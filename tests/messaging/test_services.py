"""Messaging services: every rule, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone, translation

from loom.accounts.models import CoachClient
from loom.accounts.signals import client_joined
from loom.core.context import acting_as
from loom.core.errors import NotFound
from loom.core.models import OutboxMessage, UserEvent
from loom.core.notices import notices_seen_signal
from loom.messaging import services
from loom.messaging.models import (
    BODY_MAX,
    Attachment,
    Conversation,
    Message,
    MessageEdit,
    Participant,
    Reaction,
)
from loom.messaging.selectors import message_dict, message_with_related
from tests.messaging.factories import Talks, png_bytes, send, talks, upload
from tests.resources.media import pdf_bytes
from tests.world import World


@pytest.fixture
def t(world: World) -> Talks:
    return talks(world)


def _state() -> tuple[int, int, int, int, int, int]:
    """Row counts of everything a messaging change may write."""
    return (
        Message.objects.count(),
        MessageEdit.objects.count(),
        Reaction.objects.count(),
        Attachment.objects.filter(message__isnull=False).count(),
        UserEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


def _events(user: Any, kind: str | None = None) -> list[UserEvent]:
    rows = UserEvent.objects.filter(user_id=user.pk).order_by("seq")
    return list(rows.filter(kind=kind) if kind else rows)


def _refused(error: type[Exception], call: Any, code: str | None = None) -> None:
    before = _state()
    with pytest.raises(error) as caught:
        call()
    if code is not None:
        assert getattr(caught.value, "code", None) == code
    assert _state() == before


# --- Conversations ----------------------------------------------------------------------


def test_conversation_for_pair_is_get_or_create(world: World) -> None:
    first = services.conversation_for_pair(coach=world.dana, client=world.avi)
    again = services.conversation_for_pair(coach=world.dana, client=world.avi)
    assert first.pk == again.pk
    assert set(
        Participant.objects.filter(conversation=first).values_list("user_id", flat=True)
    ) == {
        world.dana.pk,
        world.avi.pk,
    }


def test_joining_client_gets_a_conversation(world: World) -> None:
    assert not Conversation.objects.exists()
    client_joined.send(sender=CoachClient, coach=world.eli, client=world.maya, at=timezone.now())
    conversation = Conversation.objects.get()
    assert (conversation.coach_id, conversation.client_id) == (world.eli.pk, world.maya.pk)
    assert Participant.objects.filter(conversation=conversation).count() == 2


def test_backfill_migration_covers_active_links_only(world: World) -> None:
    import importlib

    from django.apps import apps

    CoachClient.objects.filter(coach=world.dana, client=world.noa).update(status="archived")
    migration = importlib.import_module(
        "loom.messaging.migrations.0003_conversations_for_existing_clients"
    )
    migration.backfill(apps, None)
    migration.backfill(apps, None)  # safe to run again
    pairs = set(Conversation.objects.values_list("coach_id", "client_id"))
    assert pairs == {(world.dana.pk, world.avi.pk), (world.eli.pk, world.maya.pk)}
    assert Participant.objects.count() == 4


# --- Sending ----------------------------------------------------------------------------


def test_send_stores_renders_and_tells_both(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_noa, "Hi **Noa**, see [this](https://example.com)")
    assert message.body_html.startswith("<p>Hi <strong>Noa</strong>")
    conversation = Conversation.objects.get(pk=t.dana_noa.pk)
    assert conversation.last_message_id == message.pk
    assert conversation.last_message_at == message.created_at
    seat = Participant.objects.get(conversation=conversation, user=world.dana)
    assert seat.last_read_message_id == message.pk
    expected = message_dict(message_with_related(message.pk))
    for person in (world.dana, world.noa):
        (event,) = _events(person, "message.created")
        assert event.data == expected
    assert not _events(world.avi)


def test_send_notice_is_in_recipients_language_without_the_text(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_noa, "A private thought about your week")
    notice = OutboxMessage.objects.get(channel="notice")
    payload = notice.payload
    assert notice.recipient == str(world.noa.pk)
    assert payload["kind"] == "message_new"
    assert payload["source"] == f"message:{t.dana_noa.pk}:{message.pk}"
    with translation.override("he"):
        assert payload["title"] == translation.gettext("New message from %(name)s") % {
            "name": "Dana Levi"
        }
    assert payload["body"] == ""
    assert payload["url"] == f"/messages/{t.dana_noa.pk}/"
    assert payload["delay_seconds"] == 10 * 60
    assert payload["collapse_key"] == f"conversation:{t.dana_noa.pk}"
    email = payload["email"]
    assert email["language"] == "he"
    for part in (email["subject"], email["text"], email["html"]):
        assert "private thought" not in part
    assert f"/messages/{t.dana_noa.pk}/" in email["text"]


def test_retry_with_same_client_id_is_stored_once(world: World, t: Talks) -> None:
    client_id = uuid.uuid4()
    first = send(world.avi, t.dana_avi, "Once", client_id=client_id)
    before = _state()
    with acting_as(world.avi.pk):
        again, created = services.message_send(
            user=world.avi, conversation_id=t.dana_avi.pk, client_id=str(client_id), body="Once"
        )
    assert (again.pk, created) == (first.pk, False)
    assert _state() == before


def test_client_id_of_another_conversation_is_refused(world: World, t: Talks) -> None:
    client_id = uuid.uuid4()
    send(world.dana, t.dana_avi, "Once", client_id=client_id)
    _refused(
        services.Invalid,
        lambda: send(world.dana, t.dana_noa, "Once", client_id=client_id),
        "invalid",
    )


@pytest.mark.parametrize(
    ("body", "error", "code"),
    [
        ("", services.Invalid, "invalid"),
        ("   \n ", services.Invalid, "invalid"),
        ("x" * (BODY_MAX + 1), services.TooLong, "too_long"),
        ("x" * 10 * 1024 * 1024, services.TooLong, "too_long"),
        (None, services.Invalid, "invalid"),
        (["list"], services.Invalid, "invalid"),
        ("nul \x00 byte", services.Invalid, "invalid"),
    ],
)
def test_bad_bodies_change_nothing(
    world: World, t: Talks, body: Any, error: Any, code: str
) -> None:
    _refused(error, lambda: send(world.dana, t.dana_avi, body), code)


def test_body_at_the_limit_is_accepted(world: World, t: Talks) -> None:
    assert len(send(world.dana, t.dana_avi, " " + "x" * BODY_MAX + " ").body) == BODY_MAX


@pytest.mark.parametrize("client_id", ["", "not-a-uuid", 12, None, "x" * 100])
def test_bad_client_ids_change_nothing(world: World, t: Talks, client_id: Any) -> None:
    _refused(services.Invalid, lambda: send(world.dana, t.dana_avi, "Hi", client_id=client_id))


def test_foreign_and_unknown_conversations_are_not_found(world: World, t: Talks) -> None:
    _refused(NotFound, lambda: send(world.eli, t.dana_avi, "Hi"))
    _refused(NotFound, lambda: send(world.maya, t.dana_avi, "Hi"))
    _refused(NotFound, lambda: send(world.noa, t.dana_avi, "Hi"))
    for bad in (999_999, -1, "abc", None, True, 2**70):
        with acting_as(world.dana.pk), pytest.raises(NotFound):
            services.message_send(
                user=world.dana, conversation_id=bad, client_id=uuid.uuid4(), body="Hi"
            )
    assert not Message.objects.exists()


def test_archived_link_makes_conversation_read_only(world: World, t: Talks) -> None:
    message = send(world.avi, t.dana_avi, "Before")
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    _refused(services.ReadOnly, lambda: send(world.dana, t.dana_avi, "After"), "read_only")
    _refused(
        services.ReadOnly,
        lambda: services.message_edit(user=world.avi, message_id=message.pk, body="Changed"),
    )
    _refused(
        services.ReadOnly,
        lambda: services.reaction_set(user=world.dana, message_id=message.pk, emoji="👍", on=True),
    )
    # Their own words can still be taken back.
    services.message_delete(user=world.avi, message_id=message.pk)


def test_reply_quotes_a_message_of_the_same_conversation(world: World, t: Talks) -> None:
    original = send(world.avi, t.dana_avi, "How do I start?")
    reply = send(world.dana, t.dana_avi, "With one breath.", reply_to_id=original.pk)
    data = message_dict(message_with_related(reply.pk))
    assert data["reply_to"] == {
        "id": original.pk,
        "sender": world.avi.pk,
        "excerpt": "How do I start?",
    }
    elsewhere = send(world.dana, t.dana_noa, "Other")
    foreign = send(world.eli, t.eli_maya, "Foreign")
    for target in (elsewhere.pk, foreign.pk, 999_999, "x"):
        _refused(
            services.Invalid,
            lambda target=target: send(world.dana, t.dana_avi, "Re", reply_to_id=target),
        )
    services.message_delete(user=world.avi, message_id=original.pk)
    _refused(
        services.MessageDeleted,
        lambda: send(world.dana, t.dana_avi, "Re", reply_to_id=original.pk),
        "deleted",
    )


def test_attachments_are_own_unattached_uploads_of_the_conversation(world: World, t: Talks) -> None:
    mine = upload(world.avi, t.dana_avi)
    dana_upload = upload(world.dana, t.dana_avi)
    noa_conversation_upload = upload(world.dana, t.dana_noa)
    _refused(
        services.Invalid,
        lambda: send(world.avi, t.dana_avi, "", attachment_ids=[dana_upload.pk]),
    )
    _refused(
        services.Invalid,
        lambda: send(world.dana, t.dana_avi, "", attachment_ids=[noa_conversation_upload.pk]),
    )
    _refused(services.Invalid, lambda: send(world.avi, t.dana_avi, "", attachment_ids="1"))
    _refused(services.Invalid, lambda: send(world.avi, t.dana_avi, "", attachment_ids=[0]))
    message = send(world.avi, t.dana_avi, "", attachment_ids=[mine.pk])
    assert message.body == ""
    data = message_dict(message_with_related(message.pk))
    assert data["attachments"] == [
        {
            "id": mine.pk,
            "name": "photo.png",
            "kind": "image",
            "size": len(png_bytes()),
            "url": f"/messages/attachments/{mine.pk}/",
            "width": 4,
            "height": 3,
        }
    ]
    # Once attached it cannot be sent again.
    _refused(services.Invalid, lambda: send(world.avi, t.dana_avi, "", attachment_ids=[mine.pk]))


# --- Editing ----------------------------------------------------------------------------


def test_edit_keeps_history_and_tells_both(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Frist draft")
    services.message_edit(user=world.dana, message_id=message.pk, body="First *draft*")
    message.refresh_from_db()
    assert message.body == "First *draft*"
    assert message.body_html == "<p>First <em>draft</em></p>"
    assert message.edited_at is not None
    assert list(MessageEdit.objects.values_list("body", flat=True)) == ["Frist draft"]
    for person in (world.dana, world.avi):
        (event,) = _events(person, "message.updated")
        assert event.data["body"] == "First *draft*"
        assert event.data["edited_at"] == message.edited_at.isoformat()


def test_unchanged_edit_is_a_no_op(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Same")
    _before = _state()
    services.message_edit(user=world.dana, message_id=message.pk, body="  Same ")
    assert _state() == _before


def test_edit_refusals_change_nothing(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Mine")
    _refused(
        services.NotYours,
        lambda: services.message_edit(user=world.avi, message_id=message.pk, body="Hacked"),
        "not_yours",
    )
    _refused(
        NotFound, lambda: services.message_edit(user=world.eli, message_id=message.pk, body="x")
    )
    _refused(
        services.TooLong,
        lambda: services.message_edit(user=world.dana, message_id=message.pk, body="x" * 20_000),
    )
    _refused(
        services.Invalid,
        lambda: services.message_edit(user=world.dana, message_id=message.pk, body=""),
    )
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=15, seconds=1)
    )
    _refused(
        services.EditWindowClosed,
        lambda: services.message_edit(user=world.dana, message_id=message.pk, body="Late"),
        "edit_window",
    )
    with override_settings(LOOM_MESSAGE_EDIT_MINUTES=30):
        services.message_edit(user=world.dana, message_id=message.pk, body="In a longer window")


def test_deleted_message_cannot_be_edited(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Gone soon")
    services.message_delete(user=world.dana, message_id=message.pk)
    _refused(
        services.MessageDeleted,
        lambda: services.message_edit(user=world.dana, message_id=message.pk, body="Back"),
        "deleted",
    )


# --- Deleting ---------------------------------------------------------------------------


def test_delete_removes_text_history_reactions_and_files(
    world: World, t: Talks, django_capture_on_commit_callbacks: Any
) -> None:
    attachment = upload(world.dana, t.dana_avi)
    message = send(world.dana, t.dana_avi, "Oops", attachment_ids=[attachment.pk])
    services.message_edit(user=world.dana, message_id=message.pk, body="Oops!")
    services.reaction_set(user=world.avi, message_id=message.pk, emoji="😂", on=True)
    path = attachment.file.name
    assert default_storage.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(user=world.dana, message_id=message.pk)
    message.refresh_from_db()
    assert message.is_deleted and message.body == "" and message.body_html == ""
    assert not MessageEdit.objects.exists()
    assert not Reaction.objects.exists()
    assert not Attachment.objects.exists()
    assert not default_storage.exists(path)
    event = _events(world.avi, "message.updated")[-1]
    assert event.data["deleted"] is True
    assert event.data["body"] == "" and event.data["body_html"] == ""
    assert event.data["reactions"] == [] and event.data["attachments"] == []
    # Twice changes nothing.
    before = _state()
    services.message_delete(user=world.dana, message_id=message.pk)
    assert _state() == before


def test_delete_refusals(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Mine")
    _refused(
        services.NotYours, lambda: services.message_delete(user=world.avi, message_id=message.pk)
    )
    _refused(NotFound, lambda: services.message_delete(user=world.maya, message_id=message.pk))
    _refused(NotFound, lambda: services.message_delete(user=world.dana, message_id="nope"))


# --- Reactions --------------------------------------------------------------------------


def test_reaction_once_per_person_per_emoji(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Great session")
    services.reaction_set(user=world.avi, message_id=message.pk, emoji="🙏", on=True)
    before = _state()
    services.reaction_set(user=world.avi, message_id=message.pk, emoji="🙏", on=True)
    assert _state() == before
    services.reaction_set(user=world.dana, message_id=message.pk, emoji="🙏", on=True)
    services.reaction_set(user=world.avi, message_id=message.pk, emoji="🎉", on=True)
    data = message_dict(message_with_related(message.pk))
    assert data["reactions"] == [
        {"emoji": "🙏", "users": [world.avi.pk, world.dana.pk]},
        {"emoji": "🎉", "users": [world.avi.pk]},
    ]
    services.reaction_set(user=world.avi, message_id=message.pk, emoji="🙏", on=False)
    assert Reaction.objects.filter(user=world.avi).count() == 1
    before = _state()
    services.reaction_set(user=world.avi, message_id=message.pk, emoji="🙏", on=False)
    assert _state() == before
    assert _events(world.dana, "message.updated")[-1].data["reactions"] == [
        {"emoji": "🙏", "users": [world.dana.pk]},
        {"emoji": "🎉", "users": [world.avi.pk]},
    ]


@pytest.mark.parametrize("emoji", ["💩", "", "👍👍", None, 1, "<script>"])
def test_reactions_outside_the_allowlist_are_refused(world: World, t: Talks, emoji: Any) -> None:
    message = send(world.dana, t.dana_avi, "Hi")
    _refused(
        services.Invalid,
        lambda: services.reaction_set(user=world.avi, message_id=message.pk, emoji=emoji, on=True),
    )


def test_reaction_refusals(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Hi")
    _refused(
        NotFound,
        lambda: services.reaction_set(user=world.eli, message_id=message.pk, emoji="👍", on=True),
    )
    _refused(
        services.Invalid,
        lambda: services.reaction_set(user=world.avi, message_id=message.pk, emoji="👍", on="yes"),
    )
    services.message_delete(user=world.dana, message_id=message.pk)
    _refused(
        services.MessageDeleted,
        lambda: services.reaction_set(user=world.avi, message_id=message.pk, emoji="👍", on=True),
        "deleted",
    )


# --- Reading ----------------------------------------------------------------------------


def test_mark_read_is_monotonic_and_clears_notices(world: World, t: Talks) -> None:
    seen: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> None:
        seen.append(kwargs)

    notices_seen_signal.connect(record, dispatch_uid="test-seen")
    try:
        first = send(world.dana, t.dana_avi, "One")
        second = send(world.dana, t.dana_avi, "Two")
        data = services.conversation_mark_read(
            user=world.avi, conversation_id=t.dana_avi.pk, message_id=second.pk
        )
        assert data["message"] == second.pk
        back = services.conversation_mark_read(
            user=world.avi, conversation_id=t.dana_avi.pk, message_id=first.pk
        )
    finally:
        notices_seen_signal.disconnect(dispatch_uid="test-seen")
    assert back["message"] == second.pk
    seat = Participant.objects.get(conversation=t.dana_avi, user=world.avi)
    assert seat.last_read_message_id == second.pk
    assert len(_events(world.avi, "conversation.read")) == 1
    (receipt,) = _events(world.dana, "conversation.read")
    assert receipt.data == {
        "conversation": t.dana_avi.pk,
        "user": world.avi.pk,
        "message": second.pk,
        "at": seat.last_read_at.isoformat(),
    }
    assert seen == [
        {
            "signal": notices_seen_signal,
            "sender": None,
            "user_id": world.avi.pk,
            "source_prefix": f"message:{t.dana_avi.pk}:",
        }
    ]


def test_no_receipt_for_others_when_turned_off(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "One")
    services.messaging_preference_set(user=world.avi, send_read_receipts=False)
    services.conversation_mark_read(
        user=world.avi, conversation_id=t.dana_avi.pk, message_id=message.pk
    )
    assert len(_events(world.avi, "conversation.read")) == 1
    assert not _events(world.dana, "conversation.read")


def test_mark_read_refusals(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "One")
    elsewhere = send(world.dana, t.dana_noa, "Other")
    for call in (
        lambda: services.conversation_mark_read(
            user=world.avi, conversation_id=t.dana_avi.pk, message_id=elsewhere.pk
        ),
        lambda: services.conversation_mark_read(
            user=world.maya, conversation_id=t.dana_avi.pk, message_id=message.pk
        ),
        lambda: services.conversation_mark_read(
            user=world.avi, conversation_id=t.dana_avi.pk, message_id="x"
        ),
    ):
        _refused(NotFound, call)


def test_preference_set_rejects_non_booleans(world: World) -> None:
    with pytest.raises(services.Invalid):
        services.messaging_preference_set(user=world.avi, send_read_receipts="no")  # type: ignore[arg-type]
    assert (
        services.messaging_preference_set(
            user=world.avi, send_read_receipts=False
        ).send_read_receipts
        is False
    )
    assert (
        services.messaging_preference_set(
            user=world.avi, send_read_receipts=True
        ).send_read_receipts
        is True
    )


# --- Typing -----------------------------------------------------------------------------


def test_typing_reaches_the_other_person_only(world: World, t: Talks) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from loom.core.realtime import stream_group

    layer = get_channel_layer()
    assert layer is not None
    channels = {}
    for person in (world.dana, world.avi):
        name = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(stream_group(person.pk), name)
        channels[person.pk] = name
    services.typing(user=world.avi, conversation_id=t.dana_avi.pk)
    received = async_to_sync(layer.receive)(channels[world.dana.pk])
    assert received["data"] == {
        "type": "typing",
        "conversation": t.dana_avi.pk,
        "user": world.avi.pk,
        "expires_in": 6,
    }
    with pytest.raises(NotFound):
        services.typing(user=world.maya, conversation_id=t.dana_avi.pk)
    with pytest.raises(NotFound):
        services.typing(user=world.avi, conversation_id="x")
    for name in channels.values():
        async_to_sync(layer.group_discard)(stream_group(world.dana.pk), name)
        async_to_sync(layer.group_discard)(stream_group(world.avi.pk), name)


# --- Uploads ----------------------------------------------------------------------------


def test_upload_image_and_document(world: World, t: Talks) -> None:
    image = upload(world.avi, t.dana_avi, "sunrise.png", png_bytes(30, 20))
    assert (image.kind, image.width, image.height) == ("image", 30, 20)
    assert image.file.name.startswith("messaging/")
    document = upload(world.avi, t.dana_avi, "worksheet.pdf", pdf_bytes())
    assert (document.kind, document.width, document.content_type) == (
        "file",
        None,
        "application/pdf",
    )


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 100, "executable"),
        ("page.html", b"<!doctype html><script>alert(1)</script>", "markup"),
        ("empty.png", b"", "empty"),
        ("photo.pdf", png_bytes(), "extension_mismatch"),
        ("poly.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>", None),
    ],
)
def test_bad_uploads_are_refused(
    world: World, t: Talks, name: str, content: bytes, code: str | None
) -> None:
    with pytest.raises(services.Invalid) as caught:
        upload(world.avi, t.dana_avi, name, content)
    if code:
        assert caught.value.code == code
    assert str(caught.value)
    assert not Attachment.objects.exists()


def test_upload_size_limit(world: World, t: Talks) -> None:
    with (
        override_settings(LOOM_MESSAGE_MAX_ATTACHMENT_BYTES=100),
        pytest.raises(services.FileTooLarge) as caught,
    ):
        upload(world.avi, t.dana_avi, "big.png", png_bytes(200, 200))
    assert caught.value.status == 413
    assert not Attachment.objects.exists()


def test_upload_to_foreign_or_read_only_conversation(world: World, t: Talks) -> None:
    with pytest.raises(NotFound):
        upload(world.maya, t.dana_avi)
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    with pytest.raises(services.ReadOnly):
        upload(world.avi, t.dana_avi)
    assert not Attachment.objects.exists()


def test_upload_reads_no_file_named_by_the_client(world: World, t: Talks) -> None:
    with acting_as(world.avi.pk):
        attachment = services.attachment_upload(
            user=world.avi,
            conversation_id=t.dana_avi.pk,
            uploaded=SimpleUploadedFile("../../etc/passwd.png", png_bytes()),
        )
    assert attachment.name == "passwd.png"
    assert ".." not in attachment.file.name


def test_new_message_email_is_rtl_for_hebrew_readers_and_links_back(world: World, t: Talks) -> None:
    send(world.dana, t.dana_noa, "Something personal")
    send(world.noa, t.dana_noa, "Something personal back")
    emails = {
        row.recipient: row.payload["email"]
        for row in OutboxMessage.objects.filter(channel="notice")
    }
    hebrew, english = emails[str(world.noa.pk)], emails[str(world.dana.pk)]
    assert 'dir="rtl"' in hebrew["html"] and 'dir="ltr"' in english["html"]
    assert "Noa Peretz" in english["subject"]
    for email in (hebrew, english):
        assert f"/messages/{t.dana_noa.pk}/" in email["html"]
        assert "Something personal" not in email["html"] + email["text"] + email["subject"]


def test_a_retry_after_archiving_still_returns_the_stored_message(world: World, t: Talks) -> None:
    client_id = uuid.uuid4()
    first = send(world.avi, t.dana_avi, "Sent just before", client_id=client_id)
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    assert send(world.avi, t.dana_avi, "Sent just before", client_id=client_id).pk == first.pk
