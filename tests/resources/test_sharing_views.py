"""Sharing pages: the share form, removing a share, the "Shared with" lists, the roster tab."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import CoachClient
from loom.resources.models import ResourceKind, ResourceProgress, Share
from tests.conftest import signed_in
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db


def _share_url(resource) -> str:
    return reverse("resources_sharing:share_resource", args=[resource.pk])


def test_share_page_lists_active_clients_and_current_shares(world):
    resource = make_resource(world.dana, title="Breathing basics")
    share(resource, world.noa, can_download=False)
    CoachClient.objects.create(coach=world.eli, client=world.avi)
    response = signed_in(world.dana).get(_share_url(resource))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Avi Mizrahi" in page and "Noa Peretz" in page and "Maya Friedman" not in page
    assert "View only" in page and "Remove" in page
    assert reverse("resources_sharing:unshare", args=[Share.objects.get().pk]) in page


def test_sharing_with_a_chosen_client_goes_back_to_the_resource_with_a_message(world):
    resource = make_resource(world.dana, title="Breathing basics")
    dana = signed_in(world.dana)
    response = dana.post(
        _share_url(resource),
        {"audience": "chosen", "clients": [world.avi.pk], "can_download": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("resources_library:detail", args=[resource.pk])
    assert "is shared with 1 client" in response.content.decode()
    row = Share.objects.get()
    assert (row.client_id, row.can_download, row.expires_at) == (world.avi.pk, True, None)


def test_view_only_with_an_end_date_in_the_coachs_zone(world):
    resource = make_resource(world.dana)
    day = timezone.now().astimezone(ZoneInfo("America/New_York")).date() + timedelta(days=2)
    response = signed_in(world.dana).post(
        _share_url(resource), {"audience": "all", "expires_on": day.isoformat()}
    )
    assert response.status_code == 302
    rows = Share.objects.order_by("client_id")
    assert [r.client_id for r in rows] == sorted([world.avi.pk, world.noa.pk])
    # Access lasts to the end of that day in New York (Dana's zone).
    end = datetime.combine(
        day + timedelta(days=1), datetime.min.time(), ZoneInfo("America/New_York")
    )
    assert all(r.expires_at == end and not r.can_download for r in rows)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"audience": "chosen"}, "Choose at least one client"),
        ({"audience": "chosen", "clients": ["999999"]}, "Select a valid choice"),
        ({"audience": "chosen", "clients": ["abc"]}, "Select a valid choice"),
        ({"audience": "nobody", "clients": ["1"]}, "Select a valid choice"),
        (
            {
                "audience": "all",
                "expires_on": (timezone.now().date() - timedelta(days=3)).isoformat(),
            },
            "Choose today or a later day",
        ),
        ({"audience": "all", "expires_on": "31/02/2026"}, "Enter a valid date"),
    ],
)
def test_bad_input_shows_the_form_again_and_writes_nothing(world, data, message):
    resource = make_resource(world.dana)
    response = signed_in(world.dana).post(_share_url(resource), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Share.objects.exists()


def test_a_client_of_another_coach_cannot_be_chosen(world):
    resource = make_resource(world.dana)
    response = signed_in(world.dana).post(
        _share_url(resource), {"audience": "chosen", "clients": [world.avi.pk, world.maya.pk]}
    )
    assert response.status_code == 400
    assert not Share.objects.exists()


def test_auto_share_alone_needs_no_clients(world):
    resource = make_resource(world.dana)
    response = signed_in(world.dana).post(
        _share_url(resource), {"audience": "chosen", "auto_share": "on"}, follow=True
    )
    assert "Every new client will get" in response.content.decode()
    resource.refresh_from_db()
    assert resource.auto_share and not Share.objects.exists()


def test_sharing_a_collection(world):
    collection = make_collection(world.dana, make_resource(world.dana), title="Calm kit")
    url = reverse("resources_sharing:share_collection", args=[collection.pk])
    dana = signed_in(world.dana)
    assert "Share a collection" in dana.get(url).content.decode()
    response = dana.post(url, {"audience": "chosen", "clients": [world.noa.pk]})
    assert response["Location"] == reverse(
        "resources_library:collection_detail", args=[collection.pk]
    )
    assert Share.objects.get().collection == collection


def test_other_coaches_get_404_and_clients_go_home(world):
    resource = make_resource(world.dana)
    collection = make_collection(world.dana)
    eli = signed_in(world.eli)
    assert eli.get(_share_url(resource)).status_code == 404
    assert eli.post(_share_url(resource), {"audience": "all"}).status_code == 404
    assert (
        eli.get(reverse("resources_sharing:share_collection", args=[collection.pk])).status_code
        == 404
    )
    assert signed_in(world.avi).get(_share_url(resource)).status_code == 302
    assert not Share.objects.exists()


def test_remove_has_a_confirmation_page_and_ends_access(world):
    resource = make_resource(world.dana, title="Breathing basics")
    row = share(resource, world.avi)
    url = reverse("resources_sharing:unshare", args=[row.pk])
    assert signed_in(world.eli).post(url).status_code == 404
    assert signed_in(world.avi).post(url).status_code == 302
    assert Share.objects.exists()
    dana = signed_in(world.dana)
    page = dana.get(url)
    assert page.status_code == 200 and "Remove access for Avi Mizrahi?" in page.content.decode()
    response = dana.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("resources_library:detail", args=[resource.pk])
    assert not Share.objects.exists()
    assert (
        signed_in(world.avi).get(reverse("resources_client:detail", args=[resource.pk])).status_code
        == 404
    )
    assert dana.post(url).status_code == 404


def test_hostile_markup_in_titles_and_names_is_escaped(world):
    resource = make_resource(world.dana, title='<img src=x onerror="alert(1)">')
    world.avi.full_name = "<script>alert(2)</script>"
    world.avi.save()
    share(resource, world.avi)
    page = signed_in(world.dana).get(_share_url(resource)).content.decode()
    assert "<script>alert(2)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_shared_with_list_takes_constant_queries(world, django_assert_max_num_queries):
    from tests.factories import ClientFactory

    resource = make_resource(world.dana)
    dana = signed_in(world.dana)

    def load() -> None:
        assert dana.get(_share_url(resource)).status_code == 200

    share(resource, world.avi)
    load()
    with django_assert_max_num_queries(20) as few:
        load()
    for _ in range(15):
        client = ClientFactory()
        CoachClient.objects.create(coach=world.dana, client=client)
        share(resource, client, expires_at=timezone.now() + timedelta(days=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        load()


def test_roster_tab_shows_what_the_client_has_with_progress(world, django_assert_max_num_queries):
    video = make_resource(world.dana, kind=ResourceKind.LINK, title="Talk")
    pdf = make_resource(world.dana, title="Worksheet")
    inside = make_resource(world.dana, title="In the kit")
    make_resource(world.dana, title="Not shared")
    share(pdf, world.avi)
    share(video, world.avi)
    share(make_collection(world.dana, inside, title="Kit"), world.avi)
    now = timezone.now()
    ResourceProgress.objects.create(
        coach=world.dana,
        client=world.avi,
        resource=pdf,
        first_viewed_at=now,
        last_viewed_at=now,
        view_count=1,
        completed_at=now,
    )
    url = reverse("coach:client_tab", args=[world.avi.pk, "resources"])
    dana = signed_in(world.dana)
    page = dana.get(url).content.decode()
    assert "Worksheet" in page and "In the kit" in page and "Talk" in page and "Kit" in page
    assert "Not shared" not in page
    assert "1 of 3 resources opened, 1 completed." in page
    with django_assert_max_num_queries(30) as few:
        dana.get(url)
    for number in range(10):
        share(make_resource(world.dana, title=f"Extra {number}"), world.avi)
    with django_assert_max_num_queries(len(few.captured_queries)):
        dana.get(url)
    # Another coach sees nothing of it.
    assert signed_in(world.eli).get(url).status_code == 404


def test_roster_tab_of_an_archived_client_says_they_have_no_access(world):
    share(make_resource(world.dana, title="Worksheet"), world.noa)
    CoachClient.objects.filter(coach=world.dana, client=world.noa).update(
        status=CoachClient.Status.ARCHIVED, archived_at=timezone.now()
    )
    page = (
        signed_in(world.dana)
        .get(reverse("coach:client_tab", args=[world.noa.pk, "resources"]))
        .content.decode()
    )
    assert "Archived clients cannot open anything you shared" in page
