"""The practice journal list workloads: ``GET /journal/`` and a deep cursor page, over HTTP.

``bench.run`` calls ``specs()``, which prepares the data in a subprocess (``python -m
bench.journal_list``, with the Loom server's environment, after ``bench.prepare`` has
migrated the database) and returns two ``Spec``s that ``bench.run`` serves and loads
like the coach home page:

* ``journal_list`` — the client's journal page, newest entries first (the first page,
  with the intention card and the streak and statistics card above the list);
* ``journal_list_deep`` — the same list ``DEEP_PAGE`` pages further down, reached by
  following the page's own "Older entries" link (an opaque keyset cursor). Keyset
  pagination means the database seeks to the cursor through the
  ``(author, written_on DESC, id DESC)`` index instead of counting past the rows before
  it, so the deep page should cost what the first one does.

The load: a client of their own (``bench.journal-client@…``, Asia/Jerusalem, English)
of a coach of their own (``bench.wellbeing-coach@…``), with **1,000 journal entries** spread over the past year (two or
three a day on some days, none on others, so the streaks have gaps), each with a title,
a markdown body of a few paragraphs (encrypted at rest like every entry), mood and
energy, and some of the emotions, sensations, body zones and practices; one in ten is
shared with the coach, with a comment or two on some of those, and one in twenty names
an audio note (the row only: listing a journal never reads the storage).

Both are offered ``BENCH_JOURNAL_RATE`` requests per second (default 10, like the other
page workloads; the issue asks for p95 under 30 ms at a stated rate). The subprocess also counts the queries of one warmed-up request of
each page, so the summary shows that the query count does not depend on the depth
(``tests/journal`` proves it does not grow with the number of entries either).

The client's entries are deleted and created again on every run, so a reused
PostgreSQL database measures the same load.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from typing import Any
from urllib.parse import urljoin

from bench.prepare import prepare_in_subprocess

PAGE_NAME = "journal_list"
DEEP_NAME = "journal_list_deep"
DEFAULT_RATE = 10.0
# A coach of their own, so the coach-home workload keeps its eight clients.
COACH_EMAIL = "bench.wellbeing-coach@bench.loom.localhost"
CLIENT_EMAIL = "bench.journal-client@bench.loom.localhost"
ENTRIES = 1000
SHARED_EVERY = 10
AUDIO_EVERY = 20
DAYS = 365
# How many "Older entries" links to follow for the deep page: with 20 entries a page,
# page 41 shows entries 801–820 of 1,000.
DEEP_PAGE = 40
# "Older entries" is the link with a cursor in the query string, whatever its wording.
CURSOR_LINK = re.compile(r'href="([^"]*[?&](?:amp;)?cursor=[^"]+)"')

PARAGRAPHS = (
    "Woke up with a **tight jaw** again. Sat with it for three breaths before getting up; "
    "it softened a little once I noticed it instead of fighting it.",
    "The meeting with my manager went better than I feared. My shoulders were up by my "
    "ears for the first ten minutes and then dropped when I said what I actually think.",
    "Walked to the park at lunch without my phone.\n\n- the wind was cold\n- my breath "
    "slowed down\n- I stopped rehearsing the conversation for tomorrow",
    "> What does your body need today?\n\nRest, honestly. I keep pushing through the "
    "afternoon slump with coffee and then I cannot sleep.",
    "Noticed a warm, open feeling in my chest when my daughter laughed at dinner. "
    "I want to remember that this is also available to me.",
    "Heavy legs, low energy. Did the body scan anyway; the heaviness did not go away "
    "but it felt less like a problem and more like information.",
)
TITLES = (
    "Morning check with my body",
    "After the team meeting",
    "Lunch walk",
    "What I need",
    "Dinner",
    "Evening body scan",
    "",  # untitled: the list shows an excerpt of the text
)


def specs(spec_class: Any, *, env: dict[str, str], only: set[str]) -> list[Any]:
    """The journal list's ``Spec``s for ``bench.run`` (none when ``BENCH_ONLY`` leaves
    both out).

    Offered ``BENCH_JOURNAL_RATE`` requests per second (default 10): the journal is a
    page clients open several times a day, so ten a second on one worker stands for a
    practice of thousands of clients. Offering more than one worker can serve (about
    1000 / server CPU ms per request) measures a queue, and each queued request holds a
    database connection: keep the rate below that.
    """
    wanted = [name for name in (PAGE_NAME, DEEP_NAME) if not only or name in only]
    if not wanted:
        return []
    rate = float(os.environ.get("BENCH_JOURNAL_RATE") or DEFAULT_RATE)
    prepared = prepare_in_subprocess("bench.journal_list", env)
    load = (
        f"a client with {prepared['entries']} entries over {prepared['days_with_entries']} "
        f"days of the past year, {prepared['shared']} shared with their coach"
    )
    built = {
        PAGE_NAME: spec_class(
            PAGE_NAME,
            "workload",
            f"Signed-in client journal {prepared['path']} (first page of "
            f"{prepared['page_size']}): {load}.",
            "config.asgi:application",
            prepared["path"],
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["page_queries"],
                "response_bytes": prepared["page_bytes"],
                "entries": prepared["entries"],
                "entries_shown": prepared["page_size"],
            },
        ),
        DEEP_NAME: spec_class(
            DEEP_NAME,
            "workload",
            f"The same journal list {prepared['deep_page']} cursor pages down (entries "
            f"{prepared['deep_first']}–{prepared['deep_last']} of {prepared['entries']}, "
            f"reached through the page's own 'Older entries' links): {load}.",
            "config.asgi:application",
            prepared["deep_path"],
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["deep_queries"],
                "response_bytes": prepared["deep_bytes"],
                "entries": prepared["entries"],
                "page_number": prepared["deep_page"] + 1,
            },
        ),
    }
    return [built[name] for name in wanted]


def _entry_fields(index: int, today: Any) -> dict[str, Any]:
    """Entry ``index`` (0 is the newest): a deterministic mix of what clients record."""
    from datetime import timedelta

    from loom.journal import vocabulary

    emotions = [e.key for e in vocabulary.EMOTIONS]
    sensations = list(vocabulary.SENSATIONS)
    zones = list(vocabulary.BODY_ZONES)
    practices = list(vocabulary.PRACTICES)
    prompts = list(vocabulary.BUILTIN_PROMPTS)
    # 1,000 entries over 365 days: about 2.7 a day, with every seventh day left empty.
    day = index * DAYS // ENTRIES
    if day % 7 == 6:
        day -= 1
    body = "\n\n".join(
        PARAGRAPHS[(index + step) % len(PARAGRAPHS)] for step in range(1 + index % 3)
    )
    return {
        "written_on": today - timedelta(days=day),
        "title": TITLES[index % len(TITLES)],
        "body": body,
        "builtin_prompt": prompts[index % len(prompts)] if index % 4 == 0 else "",
        "mood": 1 + (index * 7) % 10,
        "energy": 1 + (index * 3) % 10,
        "emotions": [emotions[(index + k * 5) % len(emotions)] for k in range(index % 4)],
        "sensations": [sensations[(index + k * 3) % len(sensations)] for k in range(index % 3)],
        "body_areas": [zones[(index + k * 4) % len(zones)] for k in range(1 + index % 3)],
        "practices": [practices[(index + k) % len(practices)] for k in range(index % 2)],
    }


def _create_data() -> tuple[Any, dict[str, int]]:
    """The journal client, their 1,000 entries, shares and comments; returns the client
    and the counts."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from bench.prepare import _user
    from loom.accounts.models import CoachClient
    from loom.journal.days import local_today
    from loom.journal.models import Comment, Entry, Intention

    with transaction.atomic():
        coach = _user(
            COACH_EMAIL,
            role="coach",
            full_name="Orly Wellbeing",
            language="en",
            tz="Asia/Jerusalem",
        )
        client = _user(
            CLIENT_EMAIL,
            role="client",
            full_name="Gal Journal",
            language="en",
            tz="Asia/Jerusalem",
        )
        CoachClient.objects.update_or_create(
            coach=coach, client=client, defaults={"status": CoachClient.Status.ACTIVE}
        )
        Entry.objects.filter(author=client).delete()  # comments go with them (cascade)
        Intention.objects.filter(client=client).delete()
        today = local_today(client)
        now = timezone.now()
        rows = []
        for index in range(ENTRIES):
            fields = _entry_fields(index, today)
            created = now - timedelta(days=(today - fields["written_on"]).days, minutes=index)
            shared = index % SHARED_EVERY == 3
            audio = index % AUDIO_EVERY == 5
            rows.append(
                Entry(
                    author=client,
                    created_at=created,
                    updated_at=created,
                    shared_with=coach if shared else None,
                    shared_at=created + timedelta(hours=1) if shared else None,
                    audio=f"journal/audio/{client.pk}/bench-{index:04d}.bin" if audio else "",
                    audio_content_type="audio/webm" if audio else "",
                    audio_size=180_000 if audio else 0,
                    **fields,
                )
            )
        entries = Entry.objects.bulk_create(rows)
        comments = []
        for entry in entries:
            if entry.shared_with_id is None or entry.pk % 2:
                continue
            comments.append(
                Comment(
                    entry=entry,
                    author=coach,
                    body="Thank you for sharing this. What did you notice right after?",
                    created_at=entry.created_at + timedelta(hours=5),
                )
            )
            comments.append(
                Comment(
                    entry=entry,
                    author=client,
                    body="My breathing slowed and I could think again.",
                    created_at=entry.created_at + timedelta(hours=7),
                )
            )
        Comment.objects.bulk_create(comments)
        Intention.objects.create(
            client=client, day=today, text="Notice my shoulders before every meeting."
        )
    return client, {
        "entries": len(entries),
        "shared": sum(1 for entry in entries if entry.shared_with_id),
        "comments": len(comments),
        "days_with_entries": len({entry.written_on for entry in entries}),
    }


def _older_link(content: bytes, path: str) -> str | None:
    """The page's "Older entries" link as a path, or None on the last page."""
    found = CURSOR_LINK.findall(content.decode("utf-8"))
    if not found:
        return None
    # The list's own link is the last cursor link on the page (filters come first).
    return urljoin(path, html.unescape(found[-1]))


def main() -> int:
    from bench.prepare import _setup_django

    _setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client, counts = _create_data()
    path = reverse("journal:list")
    browser = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    browser.force_login(client)
    browser.get(path)  # the session's first request records its start
    measured: dict[str, Any] = {}
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(path)
    if response.status_code != 200:
        raise SystemExit(
            f"{path} answered {response.status_code} (Location: {response.get('Location')})"
        )
    measured.update(page_queries=len(queries), page_bytes=len(response.content))
    # Walk down the list by its own links, as a person pressing "Older entries" would;
    # stop early if the list ends first (a larger page size than expected).
    deep_path = path
    content = response.content
    depth = 0
    while depth < DEEP_PAGE:
        link = _older_link(content, deep_path)
        if link is None:
            break
        page = browser.get(link)
        if page.status_code != 200:
            raise SystemExit(f"{link} answered {page.status_code}")
        deep_path, content, depth = link, page.content, depth + 1
    if depth < DEEP_PAGE // 2:
        raise SystemExit(f"{path}: only {depth} 'Older entries' pages; the bench needs a deep page")
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(deep_path)
    if response.status_code != 200:
        raise SystemExit(f"{deep_path} answered {response.status_code}")
    measured.update(deep_queries=len(queries), deep_bytes=len(response.content))
    # The page size, from the selector the page uses (the markup is not the bench's business).
    page_size = 20
    try:
        from loom.core.context import acting_as
        from loom.journal.selectors import entries_page

        with acting_as(client.pk):
            page_size = len(entries_page(client, cursor=None).items)
    except (ImportError, TypeError, AttributeError):
        pass
    cookie_name = settings.SESSION_COOKIE_NAME
    print(
        json.dumps(
            {
                "cookie": f"{cookie_name}={browser.cookies[cookie_name].value}",
                "path": path,
                "deep_path": deep_path,
                "deep_page": depth,
                "deep_first": depth * page_size + 1,
                "deep_last": min((depth + 1) * page_size, counts["entries"]),
                "page_size": page_size,
                **measured,
                **counts,
            }
        )
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
