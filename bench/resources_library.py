"""The resource library workloads: the coach's library page and the API list, over HTTP.

``bench.run`` calls ``specs()``, which prepares the data in a subprocess (``python -m
bench.resources_library``, with the Loom server's environment, after ``bench.prepare``
has migrated the database) and returns two ``Spec``s that ``bench.run`` serves and
loads like the coach home page:

* ``library_page`` — ``GET /coach/resources/`` (the first page: 50 resources, newest
  first, with category, tags and the shared-with count of each);
* ``library_api`` — ``GET /api/v1/resources/?page_size=50`` (the same 50 as JSON).

The load: a coach of their own (``bench.library-coach@…``, Europe/London) with **1,000
resources** — 400 documents, 200 audio, 150 video, 100 images and 150 web links — in 8
categories, with 0–3 of 30 tags each, and **20 active clients**: every resource is
shared directly with 5 of them (5,000 shares) and 5 collections of 50 resources are
shared with all 20 (100 more). The file rows name stored files that are never written:
listing a library reads only the database, never the storage.

Both are offered ``BENCH_LIBRARY_RATE`` requests per second (default 10). The subprocess
also counts the queries of one warmed-up request of each, so the summary shows the
query count per request (the tests prove it does not grow with the library:
``tests/resources/test_api.py`` and the library's own list test).

The coach's resources, categories, tags and collections are deleted and created again on
every run, so a reused PostgreSQL database measures the same load.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from bench.prepare import prepare_in_subprocess

PAGE_NAME = "library_page"
API_NAME = "library_api"
DEFAULT_RATE = 10.0
COACH_EMAIL = "bench.library-coach@bench.loom.localhost"
RESOURCES = 1000
CLIENT_COUNT = 20
SHARES_PER_RESOURCE = 5
COLLECTIONS = 5
COLLECTION_SIZE = 50
PAGE_PATH = "/coach/resources/"
API_PATH = "/api/v1/resources/?page_size=50"
# kind, file kind, content type, how many
KINDS = (
    ("document", "pdf", "application/pdf", 400),
    ("audio", "mp3", "audio/mpeg", 200),
    ("video", "mp4", "video/mp4", 150),
    ("image", "png", "image/png", 100),
    ("link", "", "", 150),
)
CATEGORIES = (
    "Worksheets",
    "Meditations",
    "Career",
    "Sleep",
    "Habits",
    "Leadership",
    "Reading",
    "תרגולים",
)
TAGS = [f"tag-{index:02d}" for index in range(27)] + ["נשימה", "שינה", "calm"]


def specs(spec_class: Any, *, env: dict[str, str], only: set[str]) -> list[Any]:
    """The two workloads' ``Spec``s for ``bench.run`` (none when ``BENCH_ONLY`` leaves
    both out)."""
    wanted = [name for name in (PAGE_NAME, API_NAME) if not only or name in only]
    if not wanted:
        return []
    rate = float(os.environ.get("BENCH_LIBRARY_RATE") or DEFAULT_RATE)
    prepared = prepare_in_subprocess("bench.resources_library", env)
    load = (
        f"a coach with {prepared['resources']} resources ({prepared['tags']} tags, "
        f"{prepared['categories']} categories), {prepared['shares']} shares with "
        f"{prepared['clients']} clients"
    )
    built = {
        PAGE_NAME: spec_class(
            PAGE_NAME,
            "workload",
            f"Signed-in coach library page {PAGE_PATH} (first 50 of the library): {load}.",
            "config.asgi:application",
            PAGE_PATH,
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["page_queries"],
                "response_bytes": prepared["page_bytes"],
                "resources": prepared["resources"],
            },
        ),
        API_NAME: spec_class(
            API_NAME,
            "workload",
            f"Signed-in coach API list GET {API_PATH}: {load}.",
            "config.asgi:application",
            API_PATH,
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["api_queries"],
                "response_bytes": prepared["api_bytes"],
                "resources": prepared["resources"],
            },
        ),
    }
    return [built[name] for name in wanted]


def _create_data() -> tuple[Any, dict[str, int]]:
    """The library coach, their clients and library; returns the coach and the counts."""
    from django.db import transaction

    from bench.prepare import _user
    from loom.accounts.models import CoachClient
    from loom.resources.library_services import build_search_text
    from loom.resources.models import (
        Category,
        Collection,
        CollectionItem,
        Resource,
        ResourceTag,
        Share,
        Tag,
    )

    with transaction.atomic():
        coach = _user(
            COACH_EMAIL, role="coach", full_name="Ruth Library", language="en", tz="Europe/London"
        )
        clients = []
        for index in range(CLIENT_COUNT):
            client = _user(
                f"library.client-{index:02d}@bench.loom.localhost",
                role="client",
                full_name=f"Library Client {index:02d}",
                language="he" if index % 3 == 0 else "en",
                tz="Asia/Jerusalem",
            )
            CoachClient.objects.update_or_create(
                coach=coach, client=client, defaults={"status": CoachClient.Status.ACTIVE}
            )
            clients.append(client)
        Share.objects.filter(coach=coach).delete()
        Collection.objects.filter(coach=coach).delete()
        Resource.objects.filter(coach=coach).delete()
        Category.objects.filter(coach=coach).delete()
        Tag.objects.filter(coach=coach).delete()
        categories = Category.objects.bulk_create(
            Category(coach=coach, name=name, position=index)
            for index, name in enumerate(CATEGORIES)
        )
        tags = Tag.objects.bulk_create(Tag(coach=coach, name=name) for name in TAGS)

        rows: list[Resource] = []
        plan: list[tuple[Category | None, list[Tag]]] = []
        index = 0
        for kind, file_kind, content_type, count in KINDS:
            for _ in range(count):
                category = categories[index % len(categories)] if index % 5 else None
                chosen = [tags[(index * 7 + step) % len(tags)] for step in range(index % 4)]
                title = f"{kind.title()} {index:04d}: breathing and focus"
                description = "Practise for ten minutes a day." if index % 2 else ""
                fields: dict[str, Any] = {
                    "coach": coach,
                    "kind": kind,
                    "title": title,
                    "description": description,
                    "category": category,
                    "search_text": build_search_text(
                        title=title,
                        description=description,
                        tag_names=[tag.name for tag in chosen],
                        category_name=category.name if category else "",
                    ),
                }
                if kind == "link":
                    fields["url"] = f"https://example.com/articles/{index}"
                else:
                    fields.update(
                        file=f"resources/{coach.pk}/bench-{index:04d}",
                        file_kind=file_kind,
                        content_type=content_type,
                        size_bytes=250_000 + index * 1000,
                        original_name=f"{kind}-{index:04d}.{file_kind}",
                    )
                rows.append(Resource(**fields))
                plan.append((category, chosen))
                index += 1
        resources = Resource.objects.bulk_create(rows)
        ResourceTag.objects.bulk_create(
            ResourceTag(coach=coach, resource=resource, tag=tag)
            for resource, (_category, chosen) in zip(resources, plan, strict=True)
            for tag in chosen
        )
        shares = [
            Share(
                coach=coach,
                client=clients[(position + step) % len(clients)],
                resource=resource,
            )
            for position, resource in enumerate(resources)
            for step in range(SHARES_PER_RESOURCE)
        ]
        for number in range(COLLECTIONS):
            collection = Collection.objects.create(coach=coach, title=f"Programme {number + 1}")
            members = resources[number * COLLECTION_SIZE : (number + 1) * COLLECTION_SIZE]
            CollectionItem.objects.bulk_create(
                CollectionItem(coach=coach, collection=collection, resource=resource, position=pos)
                for pos, resource in enumerate(members)
            )
            shares += [
                Share(coach=coach, client=client, collection=collection) for client in clients
            ]
        Share.objects.bulk_create(shares)
    return coach, {
        "resources": len(resources),
        "tags": len(tags),
        "categories": len(categories),
        "shares": len(shares),
        "clients": len(clients),
    }


def main() -> int:
    from bench.prepare import _setup_django

    _setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    coach, counts = _create_data()
    browser = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    browser.force_login(coach)
    measured: dict[str, Any] = {}
    for key, path in (("page", PAGE_PATH), ("api", API_PATH)):
        browser.get(path)  # the session's first request records its start
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(path)
        if response.status_code != 200:
            raise SystemExit(
                f"{path} answered {response.status_code} (Location: {response.get('Location')})"
            )
        measured[f"{key}_queries"] = len(queries)
        measured[f"{key}_bytes"] = len(response.content)
    items = json.loads(browser.get(API_PATH).content)["items"]
    if len(items) != 50:
        raise SystemExit(f"{API_PATH} lists {len(items)} resources, expected 50")
    cookie_name = settings.SESSION_COOKIE_NAME
    print(
        json.dumps(
            {
                "cookie": f"{cookie_name}={browser.cookies[cookie_name].value}",
                **measured,
                **counts,
            }
        )
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
