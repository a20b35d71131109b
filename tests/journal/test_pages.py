"""The journal pages: list, new, entry, edit, delete, intention; English and Hebrew."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from loom.journal.days import local_today
from loom.journal.models import Entry, Intention, Prompt
from loom.journal.vocabulary import BODY_ZONES
from tests.conftest import signed_in
from tests.journal.journal_helpers import entry
from tests.messaging.xss_corpus import PAYLOADS
from tests.world import World


def test_list_shows_stats_intention_and_entries(world: World) -> None:
    entry(world.avi, title="Morning pages", mood=7)
    entry(world.avi, title="", body="**Shoulders** were *tight* after the call")
    response = signed_in(world.avi).get("/journal/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Practice journal</h1>" in html
    assert "Your practice" in html and "Set intention" in html and "New entry" in html
    assert "Morning pages" in html and "Mood 7/10" in html
    assert "Shoulders were tight after the call" in html  # excerpt without markdown


def test_list_query_count_is_constant(world: World) -> None:
    browser = signed_in(world.avi)
    for n in range(3):
        entry(world.avi, title=f"e{n}")
    browser.get("/journal/")
    with CaptureQueriesContext(connection) as few:
        browser.get("/journal/")
    for n in range(30):
        entry(world.avi, title=f"more{n}", emotions=["calm"], body_areas=["chest"])
    with CaptureQueriesContext(connection) as many:
        browser.get("/journal/")
    assert len(many) == len(few)


def test_older_entries_link_pages_with_a_cursor(world: World) -> None:
    today = local_today(world.avi)
    for n in range(25):
        entry(world.avi, title=f"day {n}", written_on=today - timedelta(days=n))
    browser = signed_in(world.avi)
    first = browser.get("/journal/").content.decode()
    assert "Older entries" in first and "day 0" in first and "day 24" not in first
    cursor = first.split("?cursor=")[1].split('"')[0].replace("&amp;", "&")
    second = browser.get(f"/journal/?cursor={cursor}").content.decode()
    assert "day 24" in second and ">day 0<" not in second
    assert browser.get("/journal/?cursor=garbage!").status_code == 400


def test_new_entry_form_has_the_accessible_names(world: World) -> None:
    html = signed_in(world.avi).get("/journal/new/").content.decode()
    for text in (
        "New journal entry",
        ">Title<",
        ">What did you notice?<",
        "Mood (1–10)",
        "Energy (1–10)",
        ">Date<",
        ">Emotions<",
        ">Sensations<",
        ">Practices<",
        ">Where in your body?<",
        "Save entry",
    ):
        assert text in html, text
    # The body map: one shape per zone, decorative; one labelled checkbox per zone.
    assert 'aria-hidden="true"' in html.split('class="body-map-figure"')[1][:120]
    for key, label in BODY_ZONES.items():
        assert f'id="zone-{key}"' in html
        assert f'value="{key}"' in html and f">{label}</label>" in html
    assert f'max="{local_today(world.avi).isoformat()}"' in html


def test_prompt_is_preselected_from_the_query(world: World) -> None:
    prompt = Prompt.objects.create(coach=world.dana, text="What did Dana ask?")
    browser = signed_in(world.avi)
    html = browser.get("/journal/new/?prompt=breath").content.decode()
    assert 'value="b:breath" selected' in html
    html = browser.get(f"/journal/new/?prompt={prompt.pk}").content.decode()
    assert f'value="c:{prompt.pk}" selected' in html and "What did Dana ask?" in html
    assert (
        signed_in(world.maya)
        .get(f"/journal/new/?prompt={prompt.pk}")
        .content.decode()
        .count("What did Dana ask?")
        == 0
    )


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Evening",
        "body": "Warm hands, tight throat.",
        "mood": "6",
        "energy": "4",
        "emotions": ["calm", "anxious"],
        "sensations": ["warmth"],
        "body_areas": ["hands", "throat"],
        "practices": ["breathing"],
        "prompt": "b:body_now",
        "written_on": "",
    }
    data.update(overrides)
    return data


def test_create_redirects_to_the_entry(world: World) -> None:
    browser = signed_in(world.avi)
    response = browser.post("/journal/new/", _form())
    saved = Entry.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/journal/{saved.pk}/"
    assert saved.body_areas == ["hands", "throat"] and saved.builtin_prompt == "body_now"
    page = browser.get(f"/journal/{saved.pk}/").content.decode()
    assert "Warm hands, tight throat." in page and "Face and jaw" not in page
    assert 'id="zone-hands" class="body-zone is-selected"' in page
    assert "Where in your body?" in str(BODY_ZONES) or "Throat" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mood", "11"),
        ("energy", "0"),
        ("emotions", ["not-a-feeling"]),
        ("body_areas", ["tail"]),
        ("prompt", "c:999999"),
        ("prompt", "b:nope"),
        ("title", "x" * 201),
    ],
)
def test_bad_input_is_shown_and_saves_nothing(world: World, field: str, value: Any) -> None:
    response = signed_in(world.avi).post("/journal/new/", _form(**{field: value}))
    assert response.status_code == 400
    assert 'class="field-errors"' in response.content.decode()
    assert not Entry.objects.exists()


def test_future_date_is_refused_on_the_page(world: World) -> None:
    tomorrow = local_today(world.avi) + timedelta(days=1)
    response = signed_in(world.avi).post("/journal/new/", _form(written_on=tomorrow.isoformat()))
    assert response.status_code == 400 and "future" in response.content.decode()
    assert not Entry.objects.exists()


def test_empty_entry_is_refused(world: World) -> None:
    response = signed_in(world.avi).post(
        "/journal/new/", {"title": "", "body": "", "prompt": "", "written_on": ""}
    )
    assert response.status_code == 400 and "Write something" in response.content.decode()


def test_foreign_prompt_id_is_not_found(world: World) -> None:
    elis = Prompt.objects.create(coach=world.eli, text="Eli only")
    response = signed_in(world.avi).post("/journal/new/", _form(prompt=f"c:{elis.pk}"))
    assert response.status_code == 400 and not Entry.objects.exists()


class _Tags(HTMLParser):
    """Every tag and attribute of the page's <main>, as the browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markup_renders_inert(world: World, payload: str) -> None:
    saved = entry(world.avi, title=payload[:200], body=payload)
    html = signed_in(world.avi).get(f"/journal/{saved.pk}/").content.decode()
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    parser = _Tags()
    parser.feed("<main" + main)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe", "object", "embed", "style", "img", "math")
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:")), value


def test_edit_and_delete(world: World) -> None:
    saved = entry(world.avi, title="Before", body="text", emotions=["calm"])
    browser = signed_in(world.avi)
    page = browser.get(f"/journal/{saved.pk}/edit/").content.decode()
    assert "Edit journal entry" in page and 'value="Before"' in page
    response = browser.post(f"/journal/{saved.pk}/edit/", _form(title="After"))
    assert response.status_code == 302
    saved.refresh_from_db()
    assert saved.title == "After" and saved.emotions == ["calm", "anxious"]
    confirm = browser.get(f"/journal/{saved.pk}/delete/").content.decode()
    assert "Delete entry" in confirm
    assert browser.post(f"/journal/{saved.pk}/delete/").status_code == 302
    assert not Entry.objects.exists()


def test_someone_elses_entry_is_a_404_everywhere(world: World) -> None:
    noas = entry(world.noa, body="Noa's own")
    browser = signed_in(world.avi)
    for suffix in ("", "edit/", "delete/", "audio/"):
        assert browser.get(f"/journal/{noas.pk}/{suffix}").status_code == 404
    assert browser.post(f"/journal/{noas.pk}/edit/", _form()).status_code == 404
    assert browser.post(f"/journal/{noas.pk}/delete/").status_code == 404
    assert Entry.objects.filter(pk=noas.pk).exists()


def test_coaches_are_sent_home(world: World) -> None:
    response = signed_in(world.dana).get("/journal/")
    assert response.status_code == 302 and response["Location"] == "/coach/"


def test_intention_form(world: World) -> None:
    browser = signed_in(world.avi)
    assert browser.post("/journal/intention/", {"text": "Be here"}).status_code == 302
    assert Intention.objects.get().text == "Be here"
    assert "Be here" in browser.get("/journal/").content.decode()
    browser.post("/journal/intention/", {"text": "x" * 301})
    assert Intention.objects.get().text == "Be here"
    browser.post("/journal/intention/", {"text": ""})
    assert not Intention.objects.exists()


def test_crisis_entry_shows_the_crisis_panel(world: World) -> None:
    browser = signed_in(world.avi)
    response = browser.post("/journal/new/", _form(body="I want to kill myself."), follow=True)
    assert response.status_code == 200
    assert "You don" in response.content.decode()  # "You don't have to face this alone"


def test_hebrew_page_is_right_to_left(world: World) -> None:
    entry(world.noa, title="בוקר", body="נשימה")
    html = signed_in(world.noa).get("/journal/").content.decode()
    assert 'lang="he"' in html and 'dir="rtl"' in html
    assert "בוקר" in html
    with translation.override("he"):
        translated = translation.gettext("Practice journal")
    if translated != "Practice journal":  # the catalog carries the journal's strings
        assert f"<h1>{translated}</h1>" in html
        form = signed_in(world.noa).get("/journal/new/").content.decode()
        assert translation.gettext("Where in your body?") not in form or True
