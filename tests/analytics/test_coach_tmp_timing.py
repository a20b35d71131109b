import cProfile
import pstats
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loom.accounts.models import CoachClient, Role
from loom.analytics.models import DailyActivity
from loom.messaging.models import Conversation, Message
from loom.scheduling.models import Session, SessionEvent, SessionStatus, SessionType
from loom.wellbeing.models import CheckIn, SharingPreference
from tests.conftest import signed_in
from tests.world import World, make_user


@pytest.mark.django_db
def test_timing():
    world = World.build()
    dana = world.dana
    now = timezone.now()
    kind = SessionType.objects.create(coach=dana, name_en="C")
    clients = []
    for i in range(50):
        c = make_user(f"b{i}@example.com", role=Role.CLIENT, full_name=f"Bench {i}", tz="Asia/Jerusalem")
        CoachClient.objects.create(coach=dana, client=c)
        clients.append(c)
    sessions = []
    start = now - timedelta(days=365)
    for i, c in enumerate(clients):
        for w in range(52):
            t = start + timedelta(days=7 * w, minutes=i * 3)
            sessions.append(Session(coach=dana, client=c, session_type=kind, starts_at=t, ends_at=t + timedelta(minutes=2), coach_timezone="America/New_York", status=[SessionStatus.COMPLETED, SessionStatus.NO_SHOW, SessionStatus.CANCELLED][w % 3]))
    Session.objects.bulk_create(sessions, batch_size=2000)
    SessionEvent.objects.bulk_create([SessionEvent(session=s, occurred_at=s.starts_at, kind="booked") for s in Session.objects.filter(coach=dana)], batch_size=2000)
    acts, checks, msgs = [], [], []
    for i, c in enumerate(clients):
        SharingPreference.objects.create(client=c, share_checkins=True)
        for d in range(365):
            day = now - timedelta(days=d)
            acts.append(DailyActivity(day=day.date(), user=c, role="client", first_at=day, last_at=day))
            checks.append(CheckIn(client=c, occurred_at=day, timezone="Asia/Jerusalem", local_date=day.date(), local_hour=9, pleasantness=5, energy=5))
        conv = Conversation.objects.create(coach=dana, client=c)
        for m in range(400):
            msgs.append(Message(conversation=conv, sender=c if m % 2 else dana, body="x", created_at=now - timedelta(hours=m * 20)))
    DailyActivity.objects.bulk_create(acts, batch_size=5000)
    CheckIn.objects.bulk_create(checks, batch_size=5000)
    Message.objects.bulk_create(msgs, batch_size=5000)
    for conv in Conversation.objects.filter(coach=dana):
        last = Message.objects.filter(conversation=conv).order_by("-created_at").first()
        conv.last_message = last
        conv.last_message_at = last.created_at
        conv.save()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    browser = signed_in(dana)
    for q in ({"range": "12"}, {"range": "52"}):
        browser.get("/coach/analytics/", q)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            r = browser.get("/coach/analytics/", q)
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200
        print("TIMING", q, [round(t, 3) for t in sorted(times)])
        with CaptureQueriesContext(connection) as cap:
            browser.get("/coach/analytics/", q)
        total = sum(float(x["time"]) for x in cap.captured_queries)
        print("SQL total", round(total, 3))
        for x in sorted(cap.captured_queries, key=lambda x: -float(x["time"]))[:6]:
            print("  ", x["time"], x["sql"][:110])
    prof = cProfile.Profile()
    prof.enable()
    browser.get("/coach/analytics/", {"range": "12"})
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)
