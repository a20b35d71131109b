"""The check-in pages: history with the heat map, the form (full and quick), detail,
edit, delete — in English and Hebrew, own check-ins only, bad input refused."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import CrisisSignal
from loom.accounts.safety import SESSION_KEY
from loom.wellbeing.models import CheckIn
from tests.conftest import signed_in
from tests.wellbeing.checkins_factory import at, record
from tests.world import World

LIST = reverse("wellbeing_checkins:list")
NEW = reverse("wellbeing_checkins:new")


def h1(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html, flags=re.S)


def form_data(**extra: object) -> dict[str, object]:
    return {"pleasantness": "7", "energy": "4", **extra}


# --- History ----------------------------------------------------------------------------


def test_the_empty_history_invites_a_first_check_in(world: World) -> None:
    response = signed_in(world.avi).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert h1(html) == ["Check-ins"]
    assert "Check in now" in html
    assert "No check-ins yet" in html
    assert 'class="heatmap"' in html
    assert "Show as table" in html


def test_history_lists_check_ins_with_the_heat_map(world: World) -> None:
    made = record(world.avi, pleasantness=8, energy=3, emotions=[("calm", 3), ("grateful", 9)])
    response = signed_in(world.avi).get(LIST)
    html = response.content.decode()
    local = made.occurred_at.astimezone(ZoneInfo("Asia/Jerusalem"))
    assert reverse("wellbeing_checkins:detail", args=[made.pk]) in html
    assert "8/10" in html and "3/10" in html
    assert "Grateful, Calm" in html  # strongest first
    assert f'aria-label="{local.day} {local:%B}: mood 8.0, 1 check-in"' in html
    assert 'heatmap-level-4"' in html


def test_history_query_count_does_not_grow_with_check_ins(world: World) -> None:
    client = signed_in(world.avi)
    record(world.avi)
    client.get(LIST)  # warm caches (session, translations)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).status_code == 200
    for day in range(1, 7):
        for hour in (6, 12, 18):
            at(world.avi, timezone.now() - dt.timedelta(days=day, hours=hour))
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(one)


def test_older_check_ins_follow_the_cursor(world: World) -> None:
    now = timezone.now()
    made = [at(world.avi, now - dt.timedelta(hours=hours)) for hours in range(25)]
    client = signed_in(world.avi)
    first = client.get(LIST).content.decode()
    match = re.search(r'href="\?cursor=([^"&]+)"', first)
    assert match is not None
    older = client.get(LIST, {"cursor": match.group(1)}).content.decode()
    assert "Older check-ins" in older
    assert reverse("wellbeing_checkins:detail", args=[made[-1].pk]) in older
    assert reverse("wellbeing_checkins:detail", args=[made[0].pk]) not in older


@pytest.mark.parametrize("until", ["2026-02", "1999-01", "2026-13", "nonsense", "9999-12"])
def test_month_navigation_takes_any_value_without_failing(world: World, until: str) -> None:
    response = signed_in(world.avi).get(LIST, {"until": until})
    assert response.status_code == 200


def test_hebrew_history_is_right_to_left(world: World) -> None:
    record(world.noa)
    response = signed_in(world.noa).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="he"' in html and 'dir="rtl"' in html
    assert len(h1(html)) == 1


def test_coaches_and_admins_are_sent_home(world: World) -> None:
    for person in (world.dana, world.admin):
        response = signed_in(person).get(LIST)
        assert response.status_code == 302
        assert response["Location"] != LIST


# --- The form -------------------------------------------------------------------------------


def test_the_form_has_the_meter_emotions_and_detail(world: World) -> None:
    html = signed_in(world.avi).get(NEW).content.decode()
    assert h1(html) == ["How are you feeling?"]
    for text in (
        "How pleasant (1–10)",
        "Energy (1–10)",
        'role="slider"',
        "High energy, unpleasant",
        "Low energy, pleasant",
        'for="id_emotion_calm"',
        "Intensity of Calm (1–10)",
        "Add detail",
        "What happened?",
        "Sensations",
        "Coping strategy",
        "How much did it help? (1–5)",
        "Hours of sleep last night",
        "Save check-in",
    ):
        assert text in html, text
    assert "js/checkins.js" in html


def test_the_quick_form_is_the_meter_and_emotions_only(world: World) -> None:
    html = signed_in(world.avi).get(NEW, {"quick": "1"}).content.decode()
    assert "How pleasant (1–10)" in html and "Intensity of Calm (1–10)" in html
    assert "Add detail" not in html and "What happened?" not in html
    response = signed_in(world.avi).post(
        f"{NEW}?quick=1",
        form_data(emotions=["joyful"], intensity_joyful="8", note="ignored"),
    )
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert checkin.emotions == [{"emotion": "joyful", "intensity": 8}]
    assert checkin.note == ""


def test_saving_a_check_in(world: World) -> None:
    client = signed_in(world.avi)
    response = client.post(
        NEW,
        form_data(
            emotions=["calm", "tired"],
            intensity_calm="6",
            intensity_tired="3",
            trigger="A long day",
            sensations=["heaviness"],
            coping_strategy="rest",
            coping_helped="4",
            sleep_hours="6.5",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    checkin = CheckIn.objects.get()
    assert (checkin.client_id, checkin.pleasantness, checkin.energy) == (world.avi.pk, 7, 4)
    assert checkin.emotions == [
        {"emotion": "calm", "intensity": 6},
        {"emotion": "tired", "intensity": 3},
    ]
    assert checkin.sensations == ["heaviness"]
    assert str(checkin.sleep_hours) == "6.5"
    assert "Check-in saved." in client.get(LIST).content.decode()


def test_back_dating_from_the_form_reads_the_time_in_the_clients_zone(world: World) -> None:
    local = timezone.now().astimezone(ZoneInfo("Asia/Jerusalem")) - dt.timedelta(days=2)
    response = signed_in(world.avi).post(
        NEW, form_data(occurred_at=local.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert checkin.local_date == local.date()
    assert checkin.local_hour == local.hour


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(pleasantness="11"), "Ensure this value is less than or equal to 10."),
        (form_data(energy="0"), "Ensure this value is greater than or equal to 1."),
        ({"energy": "4"}, "This field is required."),
        (form_data(emotions=["calm"], intensity_calm="11"), "less than or equal to 10"),
        (form_data(emotions=["calm"], intensity_calm=""), "Choose an intensity from 1 to 10"),
        (form_data(emotions=["smug"]), "Select a valid choice."),
        (form_data(coping_helped="3"), "only when you name a strategy"),
        (form_data(sleep_hours="7.3"), "in half hours"),
        (form_data(note="x" * 2001), "at most 2000 characters"),
        (form_data(occurred_at="2999-01-01T10:00"), "cannot be in the future"),
        (form_data(occurred_at="2001-01-01T10:00"), "at most 7 days back"),
        (form_data(occurred_at="next tuesday"), "Enter a date and time."),
    ],
)
def test_bad_input_shows_the_reason_and_saves_nothing(
    world: World, data: dict[str, object], message: str
) -> None:
    response = signed_in(world.avi).post(NEW, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_quadrant_of_the_meter_lists_its_emotions_first(world: World) -> None:
    html = (
        signed_in(world.avi)
        .post(NEW, form_data(pleasantness="9", energy="2", energy_extra="x", sleep_hours="99"))
        .content.decode()
    )
    groups = re.findall(r'data-quadrant="([a-z-]+)"', html)
    assert groups[0] == "low-pleasant"
    assert 'value="9"' in html  # what the client chose stays filled in


def test_crisis_words_flash_the_support_panel(world: World) -> None:
    client = signed_in(world.avi)
    response = client.post(NEW, form_data(thoughts="I want to kill myself"))
    assert response.status_code == 302
    assert client.session.get(SESSION_KEY)
    assert CrisisSignal.objects.filter(source="checkin").count() == 1
    page = client.get(LIST).content.decode()
    assert "alone" in page  # the panel's heading: "You don't have to face this alone"


# --- Detail, edit, delete ---------------------------------------------------------------


def test_detail_shows_everything_and_escapes_markup(world: World) -> None:
    hostile = "<script>alert(1)</script>"
    checkin = record(
        world.avi, emotions=[("proud", 9)], note=hostile, coping_strategy="music", sleep_hours=8
    )
    html = (
        signed_in(world.avi)
        .get(reverse("wellbeing_checkins:detail", args=[checkin.pk]))
        .content.decode()
    )
    assert h1(html) == ["Check-in"]
    assert "Proud: 9/10" in html
    assert "Music" in html
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_someone_elses_check_in_is_a_404_on_every_page(world: World) -> None:
    checkin = record(world.avi)
    for name in ("detail", "edit", "delete"):
        url = reverse(f"wellbeing_checkins:{name}", args=[checkin.pk])
        assert signed_in(world.noa).get(url).status_code == 404
        if name != "detail":
            assert signed_in(world.maya).post(url, form_data()).status_code == 404
        missing = reverse(f"wellbeing_checkins:{name}", args=[checkin.pk + 999])
        assert signed_in(world.avi).get(missing).status_code == 404
    checkin.refresh_from_db()
    assert checkin.pleasantness == 6


def test_editing_keeps_an_old_time_as_it_was(world: World) -> None:
    old = at(world.avi, timezone.now() - dt.timedelta(days=40), emotions=[("sad", 6)])
    url = reverse("wellbeing_checkins:edit", args=[old.pk])
    client = signed_in(world.avi)
    html = client.get(url).content.decode()
    assert h1(html) == ["Edit check-in"]
    shown = re.search(r'name="occurred_at" value="([^"]+)"', html)
    assert shown is not None
    assert "checked" in html
    response = client.post(
        url,
        form_data(
            pleasantness="5",
            emotions=["sad"],
            intensity_sad="2",
            occurred_at=shown.group(1),
        ),
    )
    assert response.status_code == 302
    edited = CheckIn.objects.get(pk=old.pk)
    assert edited.occurred_at == old.occurred_at
    assert (edited.pleasantness, edited.emotions) == (5, [{"emotion": "sad", "intensity": 2}])


def test_delete_asks_first_then_deletes(world: World) -> None:
    checkin = record(world.avi)
    url = reverse("wellbeing_checkins:delete", args=[checkin.pk])
    client = signed_in(world.avi)
    html = client.get(url).content.decode()
    assert h1(html) == ["Delete this check-in?"]
    assert CheckIn.objects.filter(pk=checkin.pk).exists()
    response = client.post(url)
    assert (response.status_code, response["Location"]) == (302, LIST)
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    assert client.get(url).status_code == 404


def test_hebrew_form_and_detail_render(world: World) -> None:
    checkin = record(world.noa, emotions=[("hopeful", 5)], note="שלום")
    client = signed_in(world.noa)
    for url in (
        NEW,
        reverse("wellbeing_checkins:detail", args=[checkin.pk]),
        reverse("wellbeing_checkins:edit", args=[checkin.pk]),
        reverse("wellbeing_checkins:delete", args=[checkin.pk]),
    ):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert 'dir="rtl"' in html
        assert len(h1(html)) == 1


def test_the_heat_map_shows_a_year_on_request(world: World) -> None:
    client = signed_in(world.avi)
    half = client.get(LIST).content.decode()
    year = client.get(LIST, {"months": "12"}).content.decode()
    assert "Show a year" in half and "Show six months" in year
    assert 26 <= half.count('class="heatmap-week"') <= 28
    assert 52 <= year.count('class="heatmap-week"') <= 54
    assert "months=12" in re.search(r'href="\?until=[^"]+"', year).group(0)  # type: ignore[union-attr]
