"""Session homework: a resource given for a one-to-one session is shared with its client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from loom.core.errors import DomainError, NotFound
from loom.core.models import OutboxMessage
from loom.resources import sharing_services as services
from loom.resources.models import SessionHomework, Share, ShareSource
from loom.resources.selectors import get_resource_for_user
from loom.scheduling.models import Session, SessionType
from tests.conftest import signed_in
from tests.resources.factories import make_resource, share

pytestmark = pytest.mark.django_db


def _session(coach, client, *, capacity: int = 1, days: int = 1) -> Session:
    start = timezone.now() + timedelta(days=days)
    kind = SessionType.objects.create(coach=coach, name_en="Coaching", duration_minutes=60)
    return Session.objects.create(
        coach=coach,
        client=client,
        session_type=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone=coach.timezone,
        status="scheduled",
        capacity=capacity,
    )


def test_homework_shares_the_resource_and_tells_the_client_once(world):
    session = _session(world.dana, world.avi)
    resource = make_resource(world.dana, title="Values worksheet")
    homework = services.homework_add(
        coach=world.dana, session_id=session.pk, resource_id=resource.pk
    )
    assert (homework.client_id, homework.session_id) == (world.avi.pk, session.pk)
    assert Share.objects.get().source == ShareSource.HOMEWORK
    assert get_resource_for_user(world.avi, resource.pk)
    [notice] = OutboxMessage.objects.filter(channel="notice")
    assert notice.payload["kind"] == "resource_shared"
    assert "homework" in notice.payload["email"]["text"]
    # Adding it again is the same homework, and says nothing new.
    again = services.homework_add(coach=world.dana, session_id=session.pk, resource_id=resource.pk)
    assert again.pk == homework.pk
    assert SessionHomework.objects.count() == 1
    assert OutboxMessage.objects.filter(channel="notice").count() == 1


def test_homework_keeps_an_existing_view_only_share(world):
    session = _session(world.dana, world.avi)
    resource = make_resource(world.dana)
    share(resource, world.avi, can_download=False)
    services.homework_add(coach=world.dana, session_id=session.pk, resource_id=resource.pk)
    row = Share.objects.get()
    assert (row.source, row.can_download) == (ShareSource.CHOSEN, False)
    assert not OutboxMessage.objects.filter(channel="notice").exists()


def test_removing_homework_removes_only_the_share_it_created(world):
    session = _session(world.dana, world.avi)
    given = make_resource(world.dana, title="Given")
    chosen = make_resource(world.dana, title="Chosen")
    share(chosen, world.avi)
    first = services.homework_add(coach=world.dana, session_id=session.pk, resource_id=given.pk)
    second = services.homework_add(coach=world.dana, session_id=session.pk, resource_id=chosen.pk)
    services.homework_remove(coach=world.dana, session_id=session.pk, homework_id=first.pk)
    services.homework_remove(coach=world.dana, session_id=session.pk, homework_id=second.pk)
    assert not SessionHomework.objects.exists()
    assert list(Share.objects.values_list("resource_id", flat=True)) == [chosen.pk]


def test_a_share_given_for_two_sessions_stays_until_the_last_is_removed(world):
    first_session = _session(world.dana, world.avi)
    second_session = _session(world.dana, world.avi, days=2)
    resource = make_resource(world.dana)
    first = services.homework_add(
        coach=world.dana, session_id=first_session.pk, resource_id=resource.pk
    )
    second = services.homework_add(
        coach=world.dana, session_id=second_session.pk, resource_id=resource.pk
    )
    services.homework_remove(coach=world.dana, session_id=first_session.pk, homework_id=first.pk)
    assert Share.objects.exists()
    services.homework_remove(coach=world.dana, session_id=second_session.pk, homework_id=second.pk)
    assert not Share.objects.exists()


def test_group_sessions_foreign_sessions_and_foreign_resources_are_refused(world):
    group = _session(world.dana, None, capacity=5)
    resource = make_resource(world.dana)
    with pytest.raises(DomainError, match="one-to-one"):
        services.homework_add(coach=world.dana, session_id=group.pk, resource_id=resource.pk)
    elis_session = _session(world.eli, world.maya)
    with pytest.raises(NotFound):
        services.homework_add(coach=world.dana, session_id=elis_session.pk, resource_id=resource.pk)
    with pytest.raises(NotFound):
        services.homework_add(coach=world.eli, session_id=elis_session.pk, resource_id=resource.pk)
    with pytest.raises(NotFound):
        services.homework_add(coach=world.dana, session_id="x", resource_id=resource.pk)
    assert not Share.objects.exists() and not SessionHomework.objects.exists()


def test_homework_pages_for_the_coach_and_the_client(world):
    session = _session(world.dana, world.avi)
    resource = make_resource(world.dana, title="Values worksheet")
    make_resource(world.dana, title="Other worksheet")
    dana = signed_in(world.dana)
    detail = reverse("scheduling_coach:detail", args=[session.pk])
    page = dana.get(detail).content.decode()
    assert "Give a resource as homework" in page and "Values worksheet" in page
    add = reverse("resources_sharing:homework_add", args=[session.pk])
    response = dana.post(add, {"resource_id": resource.pk}, follow=True)
    assert response.redirect_chain[-1][0] == detail
    assert "is homework for this session" in response.content.decode()
    homework = SessionHomework.objects.get()

    client_page = (
        signed_in(world.avi)
        .get(reverse("scheduling_client:detail", args=[session.pk]))
        .content.decode()
    )
    assert reverse("resources_client:detail", args=[resource.pk]) in client_page

    # Bad input: nothing chosen, a foreign resource, someone else's session.
    response = dana.post(add, {"resource_id": ""}, follow=True)
    assert "Choose a resource" in response.content.decode()
    assert dana.post(add, {"resource_id": make_resource(world.eli).pk}).status_code == 404
    assert signed_in(world.eli).post(add, {"resource_id": resource.pk}).status_code == 404

    remove = reverse("resources_sharing:homework_remove", args=[session.pk, homework.pk])
    assert signed_in(world.eli).post(remove).status_code == 404
    assert dana.post(remove).status_code == 302
    assert not SessionHomework.objects.exists() and not Share.objects.exists()
    assert dana.post(remove).status_code == 404


def test_group_session_page_explains_that_homework_is_one_to_one(world):
    group = _session(world.dana, None, capacity=5)
    page = signed_in(world.dana).get(reverse("scheduling_coach:detail", args=[group.pk]))
    assert "Homework is for one-to-one sessions" in page.content.decode()
    response = signed_in(world.dana).post(
        reverse("resources_sharing:homework_add", args=[group.pk]),
        {"resource_id": make_resource(world.dana).pk},
        follow=True,
    )
    assert "Homework is for one-to-one sessions" in response.content.decode()
    assert not SessionHomework.objects.exists()


def test_homework_lists_take_constant_queries(world, django_assert_max_num_queries):
    session = _session(world.dana, world.avi)
    dana, avi = signed_in(world.dana), signed_in(world.avi)
    coach_page = reverse("scheduling_coach:detail", args=[session.pk])
    client_page = reverse("scheduling_client:detail", args=[session.pk])

    def give(count: int) -> None:
        for number in range(count):
            resource = make_resource(world.dana, title=f"Homework {number}")
            services.homework_add(coach=world.dana, session_id=session.pk, resource_id=resource.pk)

    give(1)
    assert dana.get(coach_page).status_code == 200 and avi.get(client_page).status_code == 200
    with django_assert_max_num_queries(60) as coach_few:
        dana.get(coach_page)
    with django_assert_max_num_queries(60) as client_few:
        avi.get(client_page)
    give(8)
    with django_assert_max_num_queries(len(coach_few.captured_queries)):
        page = dana.get(coach_page).content.decode()
    assert "Homework 7" in page
    with django_assert_max_num_queries(len(client_few.captured_queries)):
        page = avi.get(client_page).content.decode()
    assert "Homework 7" in page
