"""`loom load_demo_resources`: the demo coaches get a bilingual, lived-in library."""

from __future__ import annotations

import io
import re
import wave
from collections import Counter
from datetime import timedelta

import av
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import CoachClient, User
from loom.core.context import system_context
from loom.core.uploads import validate_upload
from loom.resources.demo import (
    ENGLISH,
    HEBREW,
    breathing_pacer_wav,
    load_demo_resources,
    pacer_seconds,
    worksheet_pdf,
)
from loom.resources.files import cover_upload_policy, resource_kind_for, resource_upload_policy
from loom.resources.models import (
    Category,
    Collection,
    Resource,
    ResourceKind,
    ResourceProgress,
    ResourceView,
    SessionHomework,
    Share,
    Tag,
)
from loom.resources.selectors import shared_resources_for_client
from loom.resources.sharing_services import share_auto_for_new_client
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def demo() -> None:
    call_command("load_demo_data", "--force", stdout=io.StringIO())
    call_command("load_demo_schedule", "--force", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo_resources", "--force", stdout=out)
    assert "Demo resources loaded: 20 resources added." in out.getvalue()


def _coach(email: str) -> User:
    return User.objects.get(email=email)


def _active_clients(coach: User) -> list[User]:
    return [
        link.client
        for link in CoachClient.objects.filter(coach=coach, status=CoachClient.Status.ACTIVE)
        .select_related("client")
        .order_by("client__email")
    ]


def _each_coach_has_a_library_in_their_language() -> None:
    for spec, hebrew in ((HEBREW, True), (ENGLISH, False)):
        coach = _coach(spec.coach_email)
        resources = Resource.objects.filter(coach=coach)
        kinds = Counter(resources.values_list("kind", flat=True))
        assert kinds == {
            ResourceKind.DOCUMENT: 5,
            ResourceKind.AUDIO: 1,
            ResourceKind.TEXT: 1,
            ResourceKind.LINK: 3,
        }
        for resource in resources:
            assert bool(HEBREW_LETTER.search(resource.title)) is hebrew, resource.title
            assert bool(HEBREW_LETTER.search(resource.description)) is hebrew
            assert resource.category is not None
            assert resource.tags.exists()
            assert resource.title.lower() in resource.search_text.lower()
        names = list(Category.objects.filter(coach=coach).values_list("name", flat=True))
        assert sorted(names) == sorted(spec.categories.values())
        assert Tag.objects.filter(coach=coach).count() >= 4
        collections = Collection.objects.filter(coach=coach)
        assert collections.count() == 2
        starter = collections.get(auto_share=True)
        assert starter.title == spec.starter.title
        assert starter.items.count() == len(spec.starter.items)
        positions = list(starter.items.values_list("position", flat=True))
        assert positions == sorted(positions) and len(set(positions)) == len(positions)


def _every_stored_file_and_cover_passes_the_upload_checks() -> None:
    policy = resource_upload_policy()
    stored = Resource.objects.exclude(kind=ResourceKind.LINK)
    assert stored.count() == 14
    for resource in stored:
        with resource.file.open("rb") as handle:
            checked = validate_upload(handle, policy=policy, name=resource.original_name)
        assert checked.kind.name == resource.file_kind
        assert resource_kind_for(resource.file_kind) == resource.kind
        assert checked.size == resource.size_bytes == resource.file.size
        assert checked.content_type == resource.content_type
    covers = Collection.objects.all()
    assert covers.count() == 4
    for collection in covers:
        with collection.cover.open("rb") as handle:
            checked = validate_upload(handle, policy=cover_upload_policy(), name="cover.png")
        assert checked.content_type == collection.cover_content_type == "image/png"


def test_the_worksheet_pdf_is_well_formed() -> None:
    data = worksheet_pdf("Goal ladder (sulam)", ["Rung 1: (this week) \\ start."])
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    assert b"(Goal ladder \\(sulam\\)) Tj" in data
    startxref = int(re.search(rb"startxref\n(\d+)\n", data).group(1))
    assert data[startxref:].startswith(b"xref\n0 7\n")
    offsets = re.findall(rb"(\d{10}) 00000 n ", data[startxref:])
    assert len(offsets) == 6
    for number, offset in enumerate(offsets, start=1):
        assert data[int(offset) :].startswith(f"{number} 0 obj\n".encode())
    length = int(re.search(rb"/Length (\d+) >>\nstream\n", data).group(1))
    body = data.split(b"stream\n", 1)[1]
    assert body[length:].startswith(b"\nendstream")
    with pytest.raises(ValueError, match="ASCII"):
        worksheet_pdf("דף", [])


def test_the_breathing_pacer_is_real_audio() -> None:
    data = breathing_pacer_wav()
    with wave.open(io.BytesIO(data)) as track:
        assert track.getnchannels() == 1
        assert track.getnframes() / track.getframerate() == pacer_seconds() == 32
    with av.open(io.BytesIO(data)) as container:
        decoded = sum(frame.samples for frame in container.decode(audio=0))
    assert decoded == 32 * 8000


def _clients_get_the_starter_collection_and_chosen_shares() -> None:
    now = timezone.now()
    for spec in (HEBREW, ENGLISH):
        coach = _coach(spec.coach_email)
        clients = _active_clients(coach)
        starter = Collection.objects.get(coach=coach, auto_share=True)
        toolkit = Collection.objects.get(coach=coach, auto_share=False)
        for client in clients:
            assert Share.objects.filter(client=client, collection=starter).exists()
        toolkit_shares = Share.objects.filter(collection=toolkit).order_by("client__email")
        assert [share.client for share in toolkit_shares] == clients[:2]
        assert [share.can_download for share in toolkit_shares] == [True, False]
        expiring = Share.objects.filter(coach=coach, expires_at__isnull=False).get()
        assert now + timedelta(days=29) < expiring.expires_at < now + timedelta(days=31)
        # Every share predates now and none predates the client's joining.
        for share in Share.objects.filter(coach=coach).select_related("client"):
            joined = CoachClient.objects.get(coach=coach, client=share.client).created_at
            assert joined <= share.created_at < now
    archived = User.objects.get(email="michael.torres@example.com")
    assert not Share.objects.filter(client=archived).exists()


def _history_is_spread_over_two_months_and_only_on_shared_resources() -> None:
    now = timezone.now()
    views = list(ResourceView.objects.select_related("client"))
    assert len(views) > 40
    assert all(now - timedelta(days=60) <= view.viewed_at <= now for view in views)
    assert min(view.viewed_at for view in views) < now - timedelta(days=30)
    assert max(view.viewed_at for view in views) > now - timedelta(days=7)
    access = {
        client.pk: set(shared_resources_for_client(client).values_list("pk", flat=True))
        for client in User.objects.filter(pk__in={view.client_id for view in views})
    }
    for view in views:
        assert view.resource_id in access[view.client_id]
        assert view.coach_id == Resource.objects.get(pk=view.resource_id).coach_id
    opened = Counter((view.client_id, view.resource_id) for view in views)
    progress = ResourceProgress.objects.all()
    assert {(row.client_id, row.resource_id): row.view_count for row in progress} == opened
    for row in progress:
        assert row.first_viewed_at <= row.last_viewed_at <= now
        assert 0 <= row.watched_share <= 1
        if row.completed_at is not None:
            assert row.first_viewed_at <= row.completed_at <= now
    audio = progress.filter(resource__kind=ResourceKind.AUDIO)
    assert audio.exists()
    for row in audio:
        assert (row.completed_at is not None) == (row.watched_share >= 0.9)
    assert progress.filter(completed_at__isnull=False).count() >= 5
    assert progress.filter(completed_at__isnull=True).exists()


def _a_recent_share_stays_new_for_the_client() -> None:
    now = timezone.now()
    for spec in (HEBREW, ENGLISH):
        coach = _coach(spec.coach_email)
        key, index = spec.fresh
        [title] = [item.title for item in spec.files if item.key == key]
        client = _active_clients(coach)[index]
        fresh = Share.objects.get(coach=coach, client=client, resource__title=title)
        assert now - timedelta(days=3) < fresh.created_at < now
        assert not ResourceProgress.objects.filter(client=client, resource=fresh.resource).exists()
        older = Share.objects.filter(coach=coach, client=client).exclude(pk=fresh.pk)
        assert all(share.created_at < now - timedelta(days=3) for share in older)


def _homework_is_given_on_the_demo_sessions() -> None:
    for spec in (HEBREW, ENGLISH):
        coach = _coach(spec.coach_email)
        clients = _active_clients(coach)
        homework = SessionHomework.objects.filter(coach=coach).select_related("session")
        assert {(row.client, row.session.status) for row in homework} == {
            (clients[0], "completed"),
            (clients[1], "scheduled"),
        }
        for row in homework:
            assert row.session.client == row.client
            assert row.resource in shared_resources_for_client(row.client)


def _a_client_joining_later_gets_the_starter_collection() -> None:
    coach = _coach(HEBREW.coach_email)
    newcomer = User.objects.create_user(email="newcomer@example.com", password="x" * 12)
    CoachClient.objects.create(coach=coach, client=newcomer)
    share_auto_for_new_client(coach=coach, client=newcomer, now=timezone.now())
    with system_context():
        titles = {
            share.collection.title
            for share in Share.objects.filter(client=newcomer).select_related("collection")
        }
    assert titles == {HEBREW.starter.title}


def _loading_twice_changes_nothing() -> None:
    before = (Resource.objects.count(), Share.objects.count(), ResourceView.objects.count())
    out = io.StringIO()
    call_command("load_demo_resources", "--force", stdout=out)
    assert "nothing changed" in out.getvalue()
    after = (Resource.objects.count(), Share.objects.count(), ResourceView.objects.count())
    assert after == before


def test_without_the_demo_people_nothing_is_loaded() -> None:
    with pytest.raises(CommandError, match="load_demo_data"):
        call_command("load_demo_resources", "--force", stdout=io.StringIO())
    assert load_demo_resources() == 0
    assert not Resource.objects.exists()


def test_refuses_outside_demo_mode(settings) -> None:
    settings.DEBUG = False
    settings.LOOM_DEMO_MODE = False
    with pytest.raises(CommandError, match="LOOM_DEMO_MODE"):
        call_command("load_demo_resources", stdout=io.StringIO())


def _the_demo_pages_open_for_coaches_and_clients() -> None:
    for spec in (HEBREW, ENGLISH):
        coach = _coach(spec.coach_email)
        browser = signed_in(coach)
        for url in (
            reverse("resources_library:library"),
            reverse("resources_library:collections"),
            reverse("resources_analytics:overview") + "?period=90",
        ):
            assert browser.get(url).status_code == 200, url
        for resource in Resource.objects.filter(coach=coach):
            assert (
                browser.get(reverse("resources_library:detail", args=[resource.pk])).status_code
                == 200
            )
        for client in _active_clients(coach):
            browser = signed_in(client)
            page = browser.get(reverse("resources_client:library"))
            assert page.status_code == 200
            for resource in shared_resources_for_client(client):
                assert resource.title in page.content.decode()
                detail = browser.get(reverse("resources_client:detail", args=[resource.pk]))
                assert detail.status_code == 200
                if not resource.is_link:
                    served = browser.get(
                        reverse("resources_files:file", args=[resource.pk]),
                        headers={"range": "bytes=0-99"},
                    )
                    assert served.status_code == 206


# Loading the demo takes seconds, so each load is checked for several things at once:
# the read-only checks first, then the pages (which record views).
def test_the_demo_library(demo: None) -> None:
    _each_coach_has_a_library_in_their_language()
    _every_stored_file_and_cover_passes_the_upload_checks()
    _clients_get_the_starter_collection_and_chosen_shares()
    _history_is_spread_over_two_months_and_only_on_shared_resources()
    _a_recent_share_stays_new_for_the_client()
    _homework_is_given_on_the_demo_sessions()
    _the_demo_pages_open_for_coaches_and_clients()


def test_reloading_changes_nothing_and_newcomers_get_the_starter(demo: None) -> None:
    _loading_twice_changes_nothing()
    _a_client_joining_later_gets_the_starter_collection()
