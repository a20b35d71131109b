"""The client's library pages (loom/resources/views_client.py) and the home card."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from loom.resources.models import ResourceKind, ResourceProgress, ResourceView, Share
from tests.conftest import signed_in
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share
from tests.resources.test_progress import make_video

pytestmark = pytest.mark.django_db


def library_url(**params: str) -> str:
    url = reverse("resources_client:library")
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else url


def detail_url(resource) -> str:
    return reverse("resources_client:detail", args=[resource.pk])


def progress_url(resource) -> str:
    return reverse("resources_client:progress", args=[resource.pk])


def post_report(browser: Client, resource, body, **extra):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return browser.post(progress_url(resource), payload, content_type="application/json", **extra)


# --- The library ------------------------------------------------------------------------------


def test_the_library_shows_exactly_what_is_shared(world):
    mine = make_resource(world.dana, title="Breathing worksheet")
    make_resource(world.dana, title="Not shared with Avi")
    eli_own = make_resource(world.eli, title="Eli's worksheet")
    share(mine, world.avi)
    share(eli_own, world.maya)
    inside = make_resource(world.dana, title="In the kit")
    kit = make_collection(world.dana, inside, title="Starter kit")
    share(kit, world.avi)

    page = signed_in(world.avi).get(library_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "Breathing worksheet" in html
    assert "In the kit" in html
    assert "Starter kit" in html
    assert "0 of 1 completed" in html
    assert "Not shared with Avi" not in html
    assert "Eli&#x27;s worksheet" not in html and "Eli's worksheet" not in html


def test_the_library_is_for_clients(world):
    response = signed_in(world.dana).get(library_url())
    assert response.status_code == 302
    assert response["Location"] == reverse("coach:home")


def test_an_empty_library_explains_itself(world):
    html = signed_in(world.avi).get(library_url()).content.decode()
    assert "Nothing shared yet" in html


def test_library_query_count_does_not_grow(world, django_assert_max_num_queries):
    def add(count: int) -> None:
        for number in range(count):
            resource = make_resource(world.dana, title=f"Sheet {number}")
            share(resource, world.avi)
        collection = make_collection(world.dana, resource, title=f"Kit {count}")
        share(collection, world.avi)

    browser = signed_in(world.avi)
    add(2)
    browser.get(library_url())  # warm the session and caches
    with django_assert_max_num_queries(6) as few:
        assert browser.get(library_url()).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert browser.get(library_url()).status_code == 200


def test_filters_narrow_the_library(world):
    worksheet = make_resource(world.dana, title="Gratitude worksheet", description="Evening")
    picture = make_resource(world.dana, kind=ResourceKind.IMAGE, title="Body scan chart")
    link = make_resource(world.dana, kind=ResourceKind.LINK, title="Article on sleep")
    for resource in (worksheet, picture, link):
        share(resource, world.avi)
    ResourceProgress.objects.create(
        coach=world.dana,
        client=world.avi,
        resource=worksheet,
        first_viewed_at=timezone.now(),
        completed_at=timezone.now(),
    )
    browser = signed_in(world.avi)

    def titles(**params: str) -> set[str]:
        html = browser.get(library_url(**params)).content.decode()
        return {r.title for r in (worksheet, picture, link) if r.title in html}

    assert titles(kind="image") == {"Body scan chart"}
    assert titles(q="evening") == {"Gratitude worksheet"}
    assert titles(q="SLEEP article") == {"Article on sleep"}
    assert titles(status="completed") == {"Gratitude worksheet"}
    assert titles(status="new") == {"Body scan chart", "Article on sleep"}
    assert titles(status="in_progress") == set()
    # Unknown values are ignored rather than failing.
    assert titles(kind="exe", status="bogus") == {r.title for r in (worksheet, picture, link)}


def test_a_foreign_collection_filter_is_ignored(world):
    mine = make_resource(world.dana, title="Mine to read")
    share(mine, world.avi)
    theirs = make_collection(world.eli, make_resource(world.eli, title="Eli item"))
    html = signed_in(world.avi).get(library_url(collection=str(theirs.pk))).content.decode()
    assert "Mine to read" in html
    assert "Eli item" not in html


def test_new_is_within_the_new_days_and_unopened(world):
    fresh = make_resource(world.dana, title="Fresh")
    old = make_resource(world.dana, title="Old")
    share(fresh, world.avi)
    old_share = share(old, world.avi)
    Share.objects.filter(pk=old_share.pk).update(created_at=timezone.now() - timedelta(days=30))
    with override_settings(LOOM_RESOURCE_NEW_DAYS=14):
        html = signed_in(world.avi).get(library_url(status="new")).content.decode()
    assert "Fresh" in html and "Old" not in html


# --- One resource ---------------------------------------------------------------------------


def test_opening_a_resource_records_a_view_and_shows_it(world):
    resource = make_resource(
        world.dana, title="Values <b>card</b>", description="Line one\nLine two"
    )
    share(resource, world.avi)
    response = signed_in(world.avi).get(detail_url(resource))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Values &lt;b&gt;card&lt;/b&gt;" in html
    assert "Line one<br>Line two" in html
    assert "Mark as complete" in html
    assert ResourceView.objects.filter(client=world.avi, resource=resource).count() == 1
    assert ResourceProgress.objects.get(client=world.avi, resource=resource).view_count == 1


def test_a_view_only_share_has_no_download_button(world):
    document = make_resource(world.dana, title="Read with me")
    share(document, world.avi, can_download=False)
    html = signed_in(world.avi).get(detail_url(document)).content.decode()
    assert "?download=1" not in html
    assert "Open the PDF" in html

    office = make_resource(
        world.dana,
        title="Plan",
        content=media.docx_bytes(),
        file_kind="docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    share(office, world.avi, can_download=False)
    html = signed_in(world.avi).get(detail_url(office)).content.decode()
    assert "?download=1" not in html
    assert "ask them for a copy" in html


def test_a_downloadable_share_has_the_button(world):
    document = make_resource(world.dana, title="Take home")
    share(document, world.avi)
    html = signed_in(world.avi).get(detail_url(document)).content.decode()
    assert f"{reverse('resources_files:file', args=[document.pk])}?download=1" in html


def test_unshared_and_foreign_resources_are_404(world):
    resource = make_resource(world.dana)
    grant = share(resource, world.avi)
    assert signed_in(world.noa).get(detail_url(resource)).status_code == 404
    assert signed_in(world.maya).get(detail_url(resource)).status_code == 404
    browser = signed_in(world.avi)
    assert browser.get(detail_url(resource)).status_code == 200
    grant.delete()
    assert browser.get(detail_url(resource)).status_code == 404
    assert browser.get("/client/resources/99999999999999999999/").status_code == 404


def test_the_breadcrumb_leads_back_to_a_shared_collection_only(world):
    resource = make_resource(world.dana, title="Inside")
    kit = make_collection(world.dana, resource, title="Morning kit")
    share(kit, world.avi)
    other = make_collection(world.dana, make_resource(world.dana), title="Other kit")
    browser = signed_in(world.avi)
    html = browser.get(f"{detail_url(resource)}?collection={kit.pk}").content.decode()
    assert reverse("resources_client:collection", args=[kit.pk]) in html
    for bad in (str(other.pk), "abc", "-1", "9" * 30):
        html = browser.get(f"{detail_url(resource)}?collection={bad}").content.decode()
        assert "Other kit" not in html
        assert reverse("resources_client:collection", args=[other.pk]) not in html


def test_a_collection_page_lists_items_in_order_with_progress(world):
    first = make_resource(world.dana, title="First step")
    second = make_resource(world.dana, title="Second step")
    kit = make_collection(world.dana, first, second, title="Steps")
    share(kit, world.avi)
    ResourceProgress.objects.create(
        coach=world.dana, client=world.avi, resource=second, completed_at=timezone.now()
    )
    response = signed_in(world.avi).get(reverse("resources_client:collection", args=[kit.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("First step") < html.index("Second step")
    assert "1 of 2 completed" in html
    assert (
        signed_in(world.noa).get(reverse("resources_client:collection", args=[kit.pk])).status_code
        == 404
    )


# --- Mark as complete -----------------------------------------------------------------------


def test_mark_complete_and_not_complete_without_javascript(world):
    resource = make_resource(world.dana)
    share(resource, world.avi)
    browser = signed_in(world.avi)
    url = reverse("resources_client:complete", args=[resource.pk])
    response = browser.post(url, {"complete": "1"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(resource)
    assert ResourceProgress.objects.get(client=world.avi, resource=resource).completed_at
    html = browser.get(detail_url(resource)).content.decode()
    assert "Mark as not complete" in html
    browser.post(url, {"complete": "0"})
    assert not ResourceProgress.objects.get(client=world.avi, resource=resource).completed_at


def test_mark_complete_refuses_bad_input_and_foreign_ids(world):
    resource = make_resource(world.dana)
    share(resource, world.avi)
    url = reverse("resources_client:complete", args=[resource.pk])
    assert signed_in(world.avi).post(url, {"complete": "yes"}).status_code == 400
    assert signed_in(world.maya).post(url, {"complete": "1"}).status_code == 404
    assert not ResourceProgress.objects.filter(completed_at__isnull=False).exists()


# --- The player's reports --------------------------------------------------------------------


def test_a_report_answers_with_the_state(world):
    video = make_video(world.dana)
    share(video, world.avi)
    browser = signed_in(world.avi)
    response = post_report(
        browser, video, {"played": [[0, 45.5]], "position": 45.5, "duration": 91}
    )
    assert response.status_code == 200
    assert response.json() == {"watched_percent": 50, "completed": False, "position": 45.5}
    response = post_report(browser, video, {"played": [[40, 91]], "position": 91, "duration": 91})
    assert response.json()["completed"] is True


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe",
        "[]",
        "NaN",
        {"played": [[0, "ten"]], "duration": 100},
        {"played": [[0, 10]]},
        {"played": [[0, 10]] * 201, "duration": 100},
        {"played": [[0, 1e308]], "duration": 100},
        "{" + '"played": [' + ",".join(["[0, 1]"] * 5000) + '], "duration": 100}',
    ],
)
def test_bad_reports_get_problem_json(world, body):
    video = make_video(world.dana)
    share(video, world.avi)
    response = post_report(signed_in(world.avi), video, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    assert not ResourceProgress.objects.exists()


def test_reports_on_foreign_resources_are_404_problems(world):
    video = make_video(world.dana)
    share(video, world.avi)
    response = post_report(
        signed_in(world.maya), video, {"played": [[0, 1]], "position": 1, "duration": 10}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_reports_need_the_csrf_header(world):
    video = make_video(world.dana)
    share(video, world.avi)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.avi)
    browser.get(detail_url(video))
    body = {"played": [[0, 1]], "position": 1, "duration": 10}
    assert post_report(browser, video, body).status_code == 403
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    assert post_report(browser, video, body, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_the_media_page_wires_the_player(world):
    video = make_video(world.dana, title="Morning stretch")
    share(video, world.avi)
    html = signed_in(world.avi).get(detail_url(video)).content.decode()
    assert f'data-progress-url="{progress_url(video)}"' in html
    assert "<video" in html and 'preload="metadata"' in html
    assert "Back 10 seconds" in html and "Playback speed" in html


# --- The home card ---------------------------------------------------------------------------


def render_card(user) -> str:
    return Template("{% load resources_client %}{% client_resources_card user %}").render(
        Context({"user": user})
    )


def test_the_home_card_shows_new_and_unfinished(world, django_assert_max_num_queries):
    fresh = make_resource(world.dana, title="Fresh sheet")
    started = make_resource(world.dana, title="Half-read sheet")
    done = make_resource(world.dana, title="Finished sheet")
    for resource in (fresh, started, done):
        share(resource, world.avi)
    now = timezone.now()
    ResourceProgress.objects.create(
        coach=world.dana, client=world.avi, resource=started, first_viewed_at=now
    )
    ResourceProgress.objects.create(
        coach=world.dana, client=world.avi, resource=done, first_viewed_at=now, completed_at=now
    )
    with django_assert_max_num_queries(3):
        html = render_card(world.avi)
    assert "New from your coach" in html and "Fresh sheet" in html
    assert "Continue" in html and "Half-read sheet" in html
    assert "Finished sheet" not in html


def test_the_home_card_is_absent_when_empty(world):
    assert render_card(world.avi).strip() == ""
    response = signed_in(world.avi).get(reverse("client:home"))
    assert response.status_code == 200
    assert "New from your coach" not in response.content.decode()


def test_the_client_home_renders_the_card(world):
    share(make_resource(world.dana, title="Welcome pack"), world.avi)
    html = signed_in(world.avi).get(reverse("client:home")).content.decode()
    assert "Welcome pack" in html


# --- Hebrew -----------------------------------------------------------------------------------


def test_pages_render_in_hebrew(world):
    resource = make_resource(world.dana, title="דף עבודה")
    kit = make_collection(world.dana, resource, title="ערכת פתיחה")
    share(kit, world.noa)
    browser = signed_in(world.noa)
    for url in (
        library_url(),
        detail_url(resource),
        reverse("resources_client:collection", args=[kit.pk]),
    ):
        response = browser.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'lang="he"' in html and 'dir="rtl"' in html
        assert "דף עבודה" in html


def test_a_form_post_to_the_progress_report_is_refused_as_not_json(world):
    # CSRF reads a form body for its token first; the view must not read it again.
    video = make_video(world.dana)
    share(video, world.avi)
    response = signed_in(world.avi).post(progress_url(video), {"played": "0,10"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "JSON" in response.json()["detail"]
    assert not ResourceProgress.objects.exists()
