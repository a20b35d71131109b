"""Demo resource library for `make demo`: each demo coach's files, links and history.

Built on the people of ``loom load_demo_data`` (run that first). Yael (Hebrew) gets a
library with Hebrew titles and descriptions, Rachel (English) one in English: worksheet
PDFs, a breathing-pacer recording (a real WAV), a text practice and web links, filed in
categories with tags, two collections with cover images ("Getting started", shared
with every new client, and a stress toolkit), shares with their clients — one view-only, one that
expires, one fresh enough to be "new" — homework on the demo sessions (when
``load_demo_schedule`` ran first), and two months of views and progress so the
analytics have something to show.

Files, links, collections and shares are made through the library's services, so the
demo data passes the same upload checks as a coach's files and clients are notified
as they would be. Only the history (when things were shared, opened and finished)
is written directly, in the system context: the services stamp "now". Idempotent: a
coach who already has resources is left alone.
"""

from __future__ import annotations

import array
import io
import math
import random
import textwrap
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from PIL import Image, ImageColor, ImageDraw

from loom.accounts.models import CoachClient, User
from loom.core.context import system_context
from loom.resources import collection_services, file_services, library_services, sharing_services
from loom.resources.models import (
    Category,
    Collection,
    Resource,
    ResourceKind,
    ResourceProgress,
    ResourceView,
    SessionHomework,
    Share,
)
from loom.resources.selectors import shared_resources_for_client

# --- Real files, built in memory ----------------------------------------------------------

PDF_LINE_CHARS = 86


def _pdf_text(value: str) -> str:
    """``value`` as a PDF string literal body (``\\``, ``(`` and ``)`` escaped)."""
    if not value.isascii():
        # Standard Helvetica with no embedded font: other scripts would not render.
        raise ValueError(f"Demo PDFs hold ASCII text only, not {value!r}.")
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def worksheet_pdf(title: str, paragraphs: Sequence[str], *, writing_lines: int = 6) -> bytes:
    """A one-page A4 PDF: a title, wrapped paragraphs and ruled lines to write on.

    ASCII text in the standard Helvetica font (no fonts embedded), with a correct
    cross-reference table, so PDF readers and pdf.js open it without repairs.
    """
    operations = [f"BT /F2 20 Tf 56 780 Td ({_pdf_text(title)}) Tj ET"]
    y = 744
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, PDF_LINE_CHARS) or [""]:
            operations.append(f"BT /F1 11 Tf 56 {y} Td ({_pdf_text(line)}) Tj ET")
            y -= 16
        y -= 10
    y -= 8
    for _line in range(writing_lines):
        operations.append(f"0.6 G 56 {y} m 539 {y} l S")
        y -= 30
    stream = "\n".join(operations).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


PACER_RATE = 8000
PACER_BREATH_SECONDS = 4
PACER_CYCLES = 4


def breathing_pacer_wav(
    *, cycles: int = PACER_CYCLES, breath_seconds: int = PACER_BREATH_SECONDS
) -> bytes:
    """A mono 16-bit WAV that guides slow breathing: a soft tone rising in pitch and
    volume for each in-breath and falling for each out-breath (``cycles`` breaths of
    ``2 * breath_seconds`` seconds)."""
    samples = array.array("h")
    phase = 0.0
    per_breath = PACER_RATE * breath_seconds
    for _cycle in range(cycles):
        for breathing_in in (True, False):
            for index in range(per_breath):
                progress = index / per_breath
                rise = progress if breathing_in else 1 - progress
                frequency = 196.0 + 98.0 * rise
                # Half a sine over the breath: silent at each turn, so no clicks.
                envelope = 0.15 + 0.35 * math.sin(math.pi * progress)
                phase += 2 * math.pi * frequency / PACER_RATE
                samples.append(int(32767 * envelope * math.sin(phase)))
    out = io.BytesIO()
    with wave.open(out, "wb") as track:
        track.setnchannels(1)
        track.setsampwidth(2)
        track.setframerate(PACER_RATE)
        track.writeframes(samples.tobytes())
    return out.getvalue()


def pacer_seconds() -> int:
    return PACER_CYCLES * 2 * PACER_BREATH_SECONDS


COVER_SIZE = (960, 480)


def cover_png(sky: str, ground: str) -> bytes:
    """A calm landscape for a collection's cover (PNG): a sky fading into ``ground``,
    a low sun and two hills."""
    width, height = COVER_SIZE
    top, bottom = ImageColor.getrgb(sky), ImageColor.getrgb(ground)
    image = Image.new("RGB", COVER_SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        share = y / (height - 1)
        colour = tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    draw.ellipse((width * 0.62, height * 0.22, width * 0.78, height * 0.54), fill="#fde9c4")
    draw.ellipse((-width * 0.2, height * 0.62, width * 0.7, height * 1.5), fill=ground)
    nearer = tuple(round(channel * 0.8) for channel in bottom)
    draw.ellipse((width * 0.35, height * 0.7, width * 1.3, height * 1.6), fill=nearer)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- What each coach's library holds ------------------------------------------------------


@dataclass(frozen=True)
class DemoFile:
    key: str
    title: str
    description: str
    category: str  # a key of DemoLibrary.categories
    tags: tuple[str, ...]
    filename: str
    build: Callable[[], bytes]


@dataclass(frozen=True)
class DemoLink:
    key: str
    title: str
    description: str
    url: str
    category: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class DemoCollection:
    title: str
    description: str
    items: tuple[str, ...]  # keys of files and links, in order
    cover: tuple[str, str]  # sky and ground colours of the cover image
    auto_share: bool = False


@dataclass(frozen=True)
class DemoLibrary:
    coach_email: str
    categories: dict[str, str]  # key -> name, in the order shown
    files: tuple[DemoFile, ...]
    links: tuple[DemoLink, ...]
    starter: DemoCollection  # shared with every current client and every new one
    toolkit: DemoCollection  # shared with the first two clients (the second view-only)
    # Shared one by one: (item key, client index, days until it expires or None).
    direct: tuple[tuple[str, int, int | None], ...]
    # Shared two days ago and not opened yet: "new" on the client's home.
    fresh: tuple[str, int]


WEEKLY_REFLECTION = (
    "Take ten quiet minutes at the end of the week. Answer each question in a few "
    "words; there are no right answers.",
    "1. What gave me energy this week? 2. What drained it? 3. One moment I am proud of. "
    "4. One thing I will do differently next week.",
    "Bring this page to our next session.",
)
VALUES_SORT = (
    "Read the list and circle the ten values that feel most like you: honesty, family, "
    "growth, freedom, security, creativity, health, adventure, kindness, achievement, "
    "learning, faith, fairness, humour, independence, loyalty, calm, courage.",
    "Now cross out five. Then rank the last five from 1 to 5.",
    "For your top value: when did you last act on it? When did you last go against it?",
)
BOUNDARIES_PLANNER = (
    "A boundary is a promise you make to yourself about what you will and will not do. "
    "Pick one situation that keeps costing you energy.",
    "The situation: ... What I usually do: ... What I want to do instead: ... "
    "What I will say (one sentence): ...",
    "Practise the sentence out loud three times before you need it.",
)
SLEEP_CHECKLIST = (
    "Tick what you did tonight. Small steps count.",
    "[ ] Screens off 45 minutes before bed  [ ] Tomorrow's list written down  "
    "[ ] Lights dimmed  [ ] Two minutes of slow breathing  [ ] Same bedtime as yesterday",
    "In the morning, note how rested you feel from 1 to 10.",
)
GOAL_LADDER = (
    "Write your goal at the top rung. Then break it down: each rung below is a smaller "
    "step that makes the one above it possible.",
    "The bottom rung should be something you can do within 48 hours.",
    "Goal: ... Rung 4: ... Rung 3: ... Rung 2: ... Rung 1 (this week): ...",
)
GROUNDING_PRACTICE = """# Five-minute grounding

Use this when your thoughts are racing or before a hard conversation.

1. Put both feet on the floor and feel their weight.
2. Name five things you can see.
3. Name four things you can hear.
4. Name three things you can touch, and touch them.
5. Take two slow breaths, longer out than in.
6. Name one thing you will do next.

Notice how you feel now compared with five minutes ago. Write one word about it.
"""
GROUNDING_PRACTICE_HE = """# קרקוע בחמש דקות

תרגול קצר לרגעים שבהם המחשבות רצות, או לפני שיחה קשה.

1. שימו את שתי כפות הרגליים על הרצפה והרגישו את המשקל שלהן.
2. מנו חמישה דברים שאתם רואים.
3. מנו ארבעה דברים שאתם שומעים.
4. מנו שלושה דברים שאתם יכולים לגעת בהם, וגעו בהם.
5. קחו שתי נשימות איטיות, הנשיפה ארוכה מהשאיפה.
6. אמרו לעצמכם דבר אחד שתעשו עכשיו.

שימו לב איך אתם מרגישים עכשיו לעומת לפני חמש דקות. כתבו מילה אחת על כך.
"""


def _pdf(title: str, paragraphs: Sequence[str]) -> Callable[[], bytes]:
    return lambda: worksheet_pdf(title, paragraphs)


def _text(body: str) -> Callable[[], bytes]:
    return lambda: body.encode("utf-8")


ENGLISH = DemoLibrary(
    coach_email="rachel.adler@example.com",
    categories={"worksheets": "Worksheets", "meditations": "Meditations", "reading": "Reading"},
    files=(
        DemoFile(
            "reflection",
            "Weekly reflection worksheet",
            "Four questions for the end of the week. Fill it in before our session.",
            "worksheets",
            ("reflection", "habits"),
            "weekly-reflection.pdf",
            _pdf("Weekly reflection", WEEKLY_REFLECTION),
        ),
        DemoFile(
            "values",
            "Values card sort",
            "Find the five values that matter most to you right now.",
            "worksheets",
            ("values",),
            "values-card-sort.pdf",
            _pdf("Values card sort", VALUES_SORT),
        ),
        DemoFile(
            "boundaries",
            "Boundaries planner",
            "Plan one boundary and the sentence you will use to hold it.",
            "worksheets",
            ("boundaries", "stress"),
            "boundaries-planner.pdf",
            _pdf("Boundaries planner", BOUNDARIES_PLANNER),
        ),
        DemoFile(
            "sleep",
            "Sleep wind-down checklist",
            "An evening checklist for a calmer bedtime. Use it for a week.",
            "worksheets",
            ("sleep", "habits"),
            "sleep-wind-down.pdf",
            _pdf("Sleep wind-down checklist", SLEEP_CHECKLIST),
        ),
        DemoFile(
            "goals",
            "Goal ladder",
            "Break a big goal into steps small enough to start this week.",
            "worksheets",
            ("goals",),
            "goal-ladder.pdf",
            _pdf("Goal ladder", GOAL_LADDER),
        ),
        DemoFile(
            "pacer",
            "Breathing pacer (4 in, 4 out)",
            "Thirty-two seconds of guided slow breathing: breathe in while the tone rises, "
            "out while it falls. Repeat as often as you like.",
            "meditations",
            ("stress", "breathing"),
            "breathing-pacer.wav",
            breathing_pacer_wav,
        ),
        DemoFile(
            "grounding",
            "Five-minute grounding practice",
            "A short practice for racing thoughts, to read and follow step by step.",
            "meditations",
            ("stress",),
            "grounding-practice.md",
            _text(GROUNDING_PRACTICE),
        ),
    ),
    links=(
        DemoLink(
            "nhs",
            "Breathing exercises for stress (NHS)",
            "A simple breathing exercise you can do anywhere, from the UK's health service.",
            "https://www.nhs.uk/mental-health/self-help/guides-tools-and-activities/"
            "breathing-exercises-for-stress/",
            "reading",
            ("stress", "breathing"),
        ),
        DemoLink(
            "who",
            "Doing What Matters in Times of Stress (WHO)",
            "The World Health Organization's illustrated guide to coping with stress.",
            "https://www.who.int/publications/i/item/9789240003927",
            "reading",
            ("stress",),
        ),
        DemoLink(
            "gratitude",
            "Three good things (Greater Good in Action)",
            "A gratitude practice from UC Berkeley's Greater Good Science Center.",
            "https://ggia.berkeley.edu/practice/three-good-things",
            "reading",
            ("habits", "reflection"),
        ),
    ),
    starter=DemoCollection(
        "Getting started",
        "Where we begin: a weekly reflection, your values, and two tools for calmer days.",
        ("reflection", "values", "pacer", "grounding"),
        cover=("#f4c7a1", "#7fa88b"),
        auto_share=True,
    ),
    toolkit=DemoCollection(
        "Stress toolkit",
        "For busy weeks: hold a boundary, slow your breathing, and read up on stress.",
        ("boundaries", "pacer", "nhs", "who"),
        cover=("#9fc2d8", "#4f7a8c"),
    ),
    direct=(("goals", 0, None), ("sleep", 1, 30), ("gratitude", 2, None)),
    fresh=("sleep", 2),
)

HEBREW = DemoLibrary(
    coach_email="yael.benami@example.com",
    categories={"worksheets": "דפי עבודה", "meditations": "מדיטציות", "reading": "קריאה"},
    files=(
        DemoFile(
            "reflection",
            "דף רפלקציה שבועי",
            "ארבע שאלות לסוף השבוע. כדאי למלא לפני הפגישה שלנו.",
            "worksheets",
            ("רפלקציה", "הרגלים"),
            "weekly-reflection.pdf",
            _pdf("Weekly reflection (daf reflexia shvui)", WEEKLY_REFLECTION),
        ),
        DemoFile(
            "values",
            "מיון ערכים",
            "למצוא את חמשת הערכים החשובים לך ביותר כרגע.",
            "worksheets",
            ("ערכים",),
            "values-card-sort.pdf",
            _pdf("Values card sort (miyun arachim)", VALUES_SORT),
        ),
        DemoFile(
            "boundaries",
            "מתכנן גבולות",
            "לתכנן גבול אחד ואת המשפט שיעזור לך לשמור עליו.",
            "worksheets",
            ("גבולות", "לחץ"),
            "boundaries-planner.pdf",
            _pdf("Boundaries planner (gvulot)", BOUNDARIES_PLANNER),
        ),
        DemoFile(
            "sleep",
            "רשימת הרגעות לפני השינה",
            "רשימה לערב לשינה רגועה יותר. כדאי להשתמש בה במשך שבוע.",
            "worksheets",
            ("שינה", "הרגלים"),
            "sleep-wind-down.pdf",
            _pdf("Sleep wind-down checklist (shena)", SLEEP_CHECKLIST),
        ),
        DemoFile(
            "goals",
            "סולם מטרות",
            "לפרק מטרה גדולה לצעדים קטנים מספיק כדי להתחיל השבוע.",
            "worksheets",
            ("מטרות",),
            "goal-ladder.pdf",
            _pdf("Goal ladder (sulam matarot)", GOAL_LADDER),
        ),
        DemoFile(
            "pacer",
            "קצב נשימה (4 שאיפה, 4 נשיפה)",
            "שלושים ושתיים שניות של נשימה איטית מונחית: שואפים כשהצליל עולה ונושפים "
            "כשהוא יורד. אפשר לחזור על זה כמה פעמים שרוצים.",
            "meditations",
            ("לחץ", "נשימה"),
            "breathing-pacer.wav",
            breathing_pacer_wav,
        ),
        DemoFile(
            "grounding",
            "תרגול קרקוע של חמש דקות",
            "תרגול קצר למחשבות רצות, לקרוא ולעשות צעד אחר צעד.",
            "meditations",
            ("לחץ",),
            "grounding-practice.md",
            _text(GROUNDING_PRACTICE_HE),
        ),
    ),
    links=(
        DemoLink(
            "eran",
            "ער״ן – עזרה ראשונה נפשית",
            "קו תמיכה רגשית בטלפון ובצ׳אט, בכל שעות היממה.",
            "https://www.eran.org.il/",
            "reading",
            ("לחץ",),
        ),
        DemoLink(
            "who",
            "עושים את מה שחשוב בזמני לחץ (ארגון הבריאות העולמי)",
            "מדריך מאויר של ארגון הבריאות העולמי להתמודדות עם לחץ (באנגלית).",
            "https://www.who.int/publications/i/item/9789240003927",
            "reading",
            ("לחץ",),
        ),
        DemoLink(
            "gratitude",
            "שלושה דברים טובים",
            "תרגול הכרת תודה של מרכז Greater Good באוניברסיטת ברקלי (באנגלית).",
            "https://ggia.berkeley.edu/practice/three-good-things",
            "reading",
            ("הרגלים", "רפלקציה"),
        ),
    ),
    starter=DemoCollection(
        "צעדים ראשונים",
        "מכאן מתחילים: רפלקציה שבועית, הערכים שלך ושני כלים לימים רגועים יותר.",
        ("reflection", "values", "pacer", "grounding"),
        cover=("#f4c7a1", "#7fa88b"),
        auto_share=True,
    ),
    toolkit=DemoCollection(
        "ארגז כלים ללחץ",
        "לשבועות עמוסים: לשמור על גבול, להאט את הנשימה ולקרוא על לחץ.",
        ("boundaries", "pacer", "eran", "who"),
        cover=("#9fc2d8", "#4f7a8c"),
    ),
    direct=(("goals", 0, None), ("sleep", 1, 30), ("gratitude", 2, None)),
    fresh=("sleep", 2),
)

LIBRARIES = (HEBREW, ENGLISH)

# Session homework, when the demo schedule is loaded: (item key, client index, the
# session: the client's latest completed one or their next scheduled one).
HOMEWORK = (("values", 0, "completed"), ("sleep", 1, "scheduled"))

# How far back the demo history reaches.
HISTORY_DAYS = 60


# --- Loading ---------------------------------------------------------------------------------


def _active_clients(coach: User) -> list[tuple[User, datetime]]:
    """The coach's active clients with when each joined, in a stable order."""
    links = (
        CoachClient.objects.filter(coach=coach, status=CoachClient.Status.ACTIVE)
        .select_related("client")
        .order_by("client__email")
    )
    return [(link.client, link.created_at) for link in links]


def _create_items(spec: DemoLibrary, coach: User) -> dict[str, Resource]:
    categories = {
        key: library_services.category_create(coach=coach, name=name)
        for key, name in spec.categories.items()
    }
    items: dict[str, Resource] = {}
    for demo_file in spec.files:
        upload = SimpleUploadedFile(demo_file.filename, demo_file.build())
        items[demo_file.key] = file_services.resource_create_from_upload(
            coach=coach,
            upload=upload,
            title=demo_file.title,
            description=demo_file.description,
            category=categories[demo_file.category],
            tags=demo_file.tags,
        )
    for link in spec.links:
        items[link.key] = library_services.link_create(
            coach=coach,
            url=link.url,
            title=link.title,
            description=link.description,
            category=categories[link.category],
            tags=link.tags,
        )
    return items


def _create_collection(demo: DemoCollection, coach: User, items: dict[str, Resource]) -> Collection:
    collection = collection_services.collection_create(
        coach=coach, title=demo.title, description=demo.description
    )
    collection_services.collection_add(
        coach=coach, collection_id=collection.pk, resource_ids=[items[key].pk for key in demo.items]
    )
    cover = SimpleUploadedFile("cover.png", cover_png(*demo.cover))
    file_services.collection_set_cover(coach=coach, collection_id=collection.pk, upload=cover)
    if demo.auto_share:
        sharing_services.set_auto_share(coach=coach, collection_id=collection.pk, enabled=True)
    return collection


def _share_all(
    coach: User,
    clients: list[tuple[User, datetime]],
    items: dict[str, Resource],
    starter: Collection,
    toolkit: Collection,
    spec: DemoLibrary,
    now: datetime,
) -> None:
    if clients:
        sharing_services.share_collection(coach=coach, collection_id=starter.pk, all_clients=True)
    for index, (client, _joined) in enumerate(clients[:2]):
        sharing_services.share_collection(
            coach=coach,
            collection_id=toolkit.pk,
            client_ids=[client.pk],
            can_download=index == 0,
        )
    for key, index, expires_in_days in (*spec.direct, (*spec.fresh, None)):
        if index >= len(clients):
            continue
        sharing_services.share_resources(
            coach=coach,
            resource_ids=[items[key].pk],
            client_ids=[clients[index][0].pk],
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )


def _backdate(
    coach: User,
    clients: list[tuple[User, datetime]],
    items: dict[str, Resource],
    spec: DemoLibrary,
    now: datetime,
) -> None:
    """Spread the library over the past two months: made first, shared after joining."""
    start = now - timedelta(days=HISTORY_DAYS)
    for age, resource in enumerate(items.values()):
        made = start + timedelta(days=age, hours=9)
        Resource.objects.filter(pk=resource.pk).update(created_at=made, updated_at=made)
    organised = start + timedelta(days=len(items) + 1)
    Collection.objects.filter(coach=coach).update(created_at=organised, updated_at=organised)
    Category.objects.filter(coach=coach).update(created_at=start, updated_at=start)
    fresh_key, fresh_index = spec.fresh
    for client, joined in clients:
        shared_at = max(joined, organised) + timedelta(hours=20)
        Share.objects.filter(coach=coach, client=client).update(
            created_at=min(shared_at, now - timedelta(days=3))
        )
    if fresh_index < len(clients):
        Share.objects.filter(
            coach=coach, client=clients[fresh_index][0], resource=items[fresh_key]
        ).update(created_at=now - timedelta(days=2))


def _history(
    coach: User,
    clients: list[tuple[User, datetime]],
    fresh: Resource,
    fresh_client: User | None,
    now: datetime,
    rng: random.Random,
) -> None:
    """Views and progress for what each client has, between sharing and now."""
    views: list[ResourceView] = []
    progress: list[ResourceProgress] = []
    for client, _joined in clients:
        # Some clients are keen, some barely open anything.
        keenness = rng.choice((0.95, 0.8, 0.6, 0.4))
        since = (
            Share.objects.filter(coach=coach, client=client).aggregate(first=Min("created_at"))[
                "first"
            ]
            or now
        )
        for resource in shared_resources_for_client(client, now=now).filter(coach=coach):
            if client == fresh_client and resource.pk == fresh.pk:
                continue
            if rng.random() > keenness:
                continue
            window = max((now - since).total_seconds() - 3600, 3600)
            openings = sorted(
                since + timedelta(seconds=rng.uniform(0, window))
                for _opening in range(rng.randint(1, 5))
            )
            views.extend(
                ResourceView(coach=coach, client=client, resource=resource, viewed_at=at)
                for at in openings
            )
            row = ResourceProgress(
                coach=coach,
                client=client,
                resource=resource,
                first_viewed_at=openings[0],
                last_viewed_at=openings[-1],
                view_count=len(openings),
            )
            if resource.kind in (ResourceKind.AUDIO, ResourceKind.VIDEO):
                length = float(resource.duration_seconds or pacer_seconds())
                heard = length if rng.random() < 0.7 * keenness else rng.uniform(0.2, 0.8) * length
                row.played = [[0.0, round(heard, 1)]]
                row.watched_share = round(heard / length, 3)
                row.position_seconds = 0.0 if heard >= length else round(heard, 1)
                if row.watched_share >= 0.9:
                    row.completed_at = openings[-1]
            elif rng.random() < 0.6 * keenness:
                row.completed_at = openings[-1] + timedelta(minutes=rng.randint(5, 40))
                row.completed_at = min(row.completed_at, now)
            progress.append(row)
    ResourceView.objects.bulk_create(views)
    ResourceProgress.objects.bulk_create(progress)


def _homework(
    coach: User, clients: list[tuple[User, datetime]], items: dict[str, Resource], now: datetime
) -> None:
    # The scheduling app's Session, reached through the homework relation: the two
    # domain apps do not import each other (import-linter).
    sessions = SessionHomework._meta.get_field("session").related_model._default_manager
    for key, index, status in HOMEWORK:
        if index >= len(clients):
            continue
        session = (
            sessions.filter(coach=coach, client=clients[index][0], status=status)
            .order_by("-starts_at" if status == "completed" else "starts_at")
            .values("pk", "ends_at")
            .first()
        )
        if session is None:
            continue
        homework = sharing_services.homework_add(
            coach=coach, session_id=session["pk"], resource_id=items[key].pk
        )
        given_at = min(session["ends_at"], now - timedelta(days=1))
        SessionHomework.objects.filter(pk=homework.pk).update(
            created_at=given_at, updated_at=given_at
        )


def _load_library(spec: DemoLibrary, now: datetime) -> int:
    coach = User.objects.filter(email=spec.coach_email).first()
    if coach is None or Resource.objects.filter(coach=coach).exists():
        return 0
    clients = _active_clients(coach)
    items = _create_items(spec, coach)
    # The length the first player would report (used for the watch share).
    Resource.objects.filter(pk=items["pacer"].pk).update(duration_seconds=pacer_seconds())
    starter = _create_collection(spec.starter, coach, items)
    toolkit = _create_collection(spec.toolkit, coach, items)
    _share_all(coach, clients, items, starter, toolkit, spec, now)
    _homework(coach, clients, items, now)
    _backdate(coach, clients, items, spec, now)
    fresh_key, fresh_index = spec.fresh
    fresh_client = clients[fresh_index][0] if fresh_index < len(clients) else None
    # Seeded by the coach, so a reload of a fresh database tells the same story.
    rng = random.Random(spec.coach_email)  # noqa: S311 - made-up history, not a secret
    _history(coach, clients, items[fresh_key], fresh_client, now, rng)
    return len(items)


def demo_coaches_present() -> bool:
    with system_context():
        return User.objects.filter(email__in=[spec.coach_email for spec in LIBRARIES]).exists()


def load_demo_resources(now: datetime | None = None) -> int:
    """Load the demo libraries; returns how many resources were created (0 when present)."""
    now = now or timezone.now()
    created = 0
    with system_context(), transaction.atomic():
        for spec in LIBRARIES:
            created += _load_library(spec, now)
    return created
