"""Every KPI on a hand-built data set, computed through ``kpi_rollup``; the right answer
is worked out in each test (the comments show the arithmetic).

The reporting zone is UTC (test settings). Weeks: W0 = Mon 2 – Sun 8 March 2026,
W1 = 9–15 March, W2 = 16–22 March, W4 = 30 March – 5 April (``test_kpis_support``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from loom.accounts.models import CoachClient, Role
from loom.analytics.models import EventName, KpiValue
from loom.scheduling.models import SessionStatus
from tests.analytics.test_kpis_support import (
    NOW,
    W0,
    activity,
    at,
    client,
    coach,
    collection_of,
    conversation,
    entry,
    event,
    figures,
    invitation,
    link,
    message,
    nps_answer,
    person,
    resource,
    rollup,
    session,
    share,
    value,
    view,
    week,
)

pytestmark = pytest.mark.django_db

D = timedelta(days=1)
H = timedelta(hours=1)
S = timedelta(seconds=1)
FEB1 = at(W0 - timedelta(days=29))  # 1 February, long before every week used


def approx(x: float | None) -> object:
    return pytest.approx(x, abs=1e-9)


def test_onboarding_completion_counts_invited_clients_and_new_coaches_within_168_hours() -> None:
    inviter = coach(joined=FEB1)
    coach2 = coach(joined=FEB1)

    def accepted(created, completed):
        person = client(joined=created + H, onboarded=completed)
        return invitation(inviter, created=created, accepted_by=person, accepted_at=created + H)

    mar2, mar3, mar4 = at(W0, 10), at(W0 + D, 10), at(W0 + 2 * D, 10)
    accepted(mar2, mar2 + 7 * D - timedelta(minutes=1))  # 167:59 → complete
    accepted(mar3, mar3 + 7 * D)  # 168:00:00 exactly → complete (inclusive)
    accepted(mar4, mar4 + 7 * D + S)  # 168:00:01 → not complete
    invitation(inviter, created=at(W0 + 3 * D))  # never accepted → not complete
    invitation(inviter, created=at(W0 + 3 * D, 13), revoked_at=at(W0 + 4 * D))  # revoked: left out
    # The same address invited by two coaches: one person, complete through the second.
    invitation(inviter, created=at(W0 + 4 * D), email="same@example.com")
    same = client(joined=at(W0 + 5 * D), onboarded=at(W0 + 6 * D))
    invitation(
        coach2,
        created=at(W0 + 5 * D),
        email="SAME@example.com",
        accepted_by=same,
        accepted_at=at(W0 + 5 * D, 13),
    )
    # Invited in the last second of the week, accepted on the 7th day, done within 168 h.
    last = at(W0 + 6 * D, 23, 59, 59)
    late = client(joined=at(W0 + 13 * D, 20), onboarded=at(W0 + 13 * D, 23))
    invitation(inviter, created=last, accepted_by=late, accepted_at=at(W0 + 13 * D, 20))
    invitation(inviter, created=at(W0 + 7 * D))  # Monday 9 March: the next week

    # Coaches who signed up in W0.
    coach(joined=at(W0, 8), onboarded=at(W0 + 2 * D))  # complete
    coach(joined=at(W0 + 5 * D, 12), onboarded=at(W0 + 12 * D, 12) + S)  # 168 h + 1 s: no
    coach(joined=at(W0 + 6 * D), onboarded=None)  # never: no

    rollup()
    # Clients: addresses 1, 2, 3, 4, same, last = 6; complete: 1, 2, same, last = 4.
    assert figures("onboarding_completion", W0, "client") == (4, 6, approx(400 / 6))
    # Coaches: 3 signed up, 1 complete.
    assert figures("onboarding_completion", W0, "coach") == (1, 3, approx(100 / 3))
    # All: 5 of 9.
    assert figures("onboarding_completion", W0) == (5, 9, approx(500 / 9))
    # W1 has the invitation of Monday 9 March, never accepted: 0 of 1.
    assert figures("onboarding_completion", week(1), "client") == (0, 1, 0.0)


def test_onboarding_is_provisional_until_the_seven_day_look_ahead_has_passed() -> None:
    inviter = coach(joined=FEB1)
    invitation(inviter, created=at(W0, 10))
    end = at(W0 + 7 * D, 0)  # the week ends Monday 9 March 00:00
    rollup(now=end + 7 * D - S)
    assert value("onboarding_completion", W0).provisional is True
    rollup(now=end + 7 * D)
    assert value("onboarding_completion", W0).provisional is False


def test_sessions_per_coach_completion_and_active_coaches() -> None:
    w2 = week(2)  # 16–22 March; ends Monday 23 March 00:00; 30 days back: 21 Feb 00:00
    a, b, c, d, e, f = (coach(joined=FEB1) for _ in range(6))
    # Coach A in W2: three completed, a no-show, a cancellation after booking, a request
    # cancelled before approval, a pending request, a declined request, and a session
    # still "scheduled" although its time has passed.
    for n in range(3):
        session(a, at(w2 + n * D, 10))
    session(a, at(w2 + 3 * D, 10), SessionStatus.NO_SHOW)
    session(a, at(w2 + 4 * D, 10), SessionStatus.CANCELLED)
    session(a, at(w2 + 4 * D, 15), SessionStatus.CANCELLED, confirmed=False)
    session(a, at(w2 + 5 * D, 10), SessionStatus.REQUESTED, confirmed=False)
    session(a, at(w2 + 5 * D, 15), SessionStatus.DECLINED, confirmed=False)
    session(a, at(w2 + 6 * D, 10), SessionStatus.SCHEDULED)
    # Coach B: one completed group session in W2.
    session(b, at(w2 + D, 11), group=True)
    # Coach C: completed on 25 February only (inside the 30 days, not in the week).
    session(c, at(w2 - 19 * D, 10))
    # Coach D: 20 February 23:00, one hour before the 30 days begin: not active.
    session(d, at(w2 - 24 * D, 23))
    # Coach E: 21 February 00:00:00, the first instant of the 30 days: active.
    session(e, at(w2 - 23 * D, 0))
    # Coach F: no sessions at all.
    del f

    rollup()
    # Active coaches at the week's end: A, B, C, E = 4 of 6 coach accounts.
    assert figures("active_coaches", w2) == (4, 6, 4)
    # Completed in W2: 3 (A) + 1 (B) = 4 sessions ÷ 4 active coaches = 1.0.
    assert figures("sessions_per_coach", w2) == (4, 4, 1.0)
    # Scheduled: 3 completed + no-show + cancelled-after-booking + past-scheduled (A)
    # + 1 group (B) = 7; completed 4 → 57.14 %.
    assert figures("session_completion", w2) == (4, 7, approx(400 / 7))
    # Daily rows: on Sunday 22 March the 30 days are the same as the week's.
    assert figures("active_coaches", w2 + 6 * D, period="day") == (4, 6, 4)
    # Friday 20 February (its 30 days: 22 January – 20 February): D only; Saturday 21
    # February: D and E.
    assert figures("active_coaches", w2 - 24 * D, period="day") == (1, 6, 1)
    assert figures("active_coaches", w2 - 23 * D, period="day") == (2, 6, 2)


def test_session_completion_counts_a_past_unmarked_session_only_once_its_time_has_passed() -> None:
    w2 = week(2)
    a = coach(joined=FEB1)
    session(a, at(w2, 10))
    session(a, at(w2 + 3 * D, 10), SessionStatus.SCHEDULED)
    rollup(now=at(w2 + 2 * D, 12))  # Wednesday: Thursday's session has not started
    assert figures("session_completion", w2) == (1, 1, 100.0)
    rollup(now=at(w2 + 4 * D, 12))  # Friday: it started and is not marked
    assert figures("session_completion", w2) == (1, 2, 50.0)


def test_coaches_at_baseline_needs_13_completed_sessions_in_30_days() -> None:
    w4 = week(4)  # 30 March – 5 April; ends 6 April 00:00; 30 days back: 7 March 00:00
    early = at(W0 - timedelta(days=35))
    p = coach(joined=early)
    q = coach(joined=early)
    coach(joined=early)  # R: no sessions, still counted
    s = coach(joined=early, onboarded=at(W0 + 5 * D, 0))  # onboarded 7 March 00:00: exactly 30 days
    t = coach(joined=early, onboarded=at(W0 + 5 * D, 0) + S)  # one second short of 30 days
    u = coach(joined=early, active=False)  # deactivated: left out
    coach(joined=early, onboarded=None)  # never onboarded: left out

    def sessions(who, n, status=SessionStatus.COMPLETED):
        # From 10 March, every second day at 10:00 — inside W4's 30 days, after W0's.
        for k in range(n):
            session(who, at(week(1) + timedelta(days=1 + 2 * k), 10), status)

    sessions(p, 13)
    sessions(q, 12)
    session(q, at(w4, 15), SessionStatus.NO_SHOW)  # a no-show is not a completed session
    sessions(s, 13)
    sessions(t, 13)
    sessions(u, 13)

    rollup()
    # Denominator: P, Q, R, S = 4; at 13 or more: P and S = 2 → 50 %.
    assert figures("coaches_at_baseline", w4) == (2, 4, 50.0)
    # W0 (ends 9 March; its 30 days, from 7 February, hold no session): P, Q, R (S and T
    # were onboarded later, U is deactivated) → 3 coaches, none at baseline: 0 %, not NULL.
    assert figures("coaches_at_baseline", W0) == (0, 3, 0.0)


def _engagement_world() -> dict[str, object]:
    """W1 (9–15 March) activity of clients c1–c4, c6, c7 and coaches k1, k2.

    =======  ===============================================================
    who      activity (day: actions / visits / seconds)
    =======  ===============================================================
    c1       Mon 9: 2 / 2 / 600 · Tue 10: page views only (0 actions) / 1 / 300
    c2       Sun 15: 1 / 1 / 1200 · Sun 22: 1 (7 days after: a return)
    c3       Wed 11: 0 actions / 1 / 0 · Thu 19 (8 days after: no return)
    c4       joined Thu 12 10:00 · Fri 13: 1 / 1 / 60
    c5       deactivated · Tue 10: 1 / 1 / 10000 (never counted)
    c6       Mon 2 March: 1 action (inside the 14 days before W1's end)
    c7       Sun 1 March: 1 action (one day too early)
    k1       Mon 9: 1 / 1 / 900 · Thu 12: 1 / 1 / 900
    k2       none
    =======  ===============================================================
    """
    w1 = week(1)
    c1, c2, c3 = (client(joined=FEB1) for _ in range(3))
    c4 = client(joined=at(w1 + 3 * D, 10))
    c5 = client(joined=FEB1, active=False)
    c6, c7 = client(joined=FEB1), client(joined=FEB1)
    k1, k2 = coach(joined=FEB1), coach(joined=FEB1)
    activity(c1, w1, actions=2, visits=2, visit_seconds=600)
    activity(c1, w1 + D, actions=0, events=3, visits=1, visit_seconds=300)
    activity(c2, w1 + 6 * D, actions=1, visits=1, visit_seconds=1200)
    activity(c2, w1 + 13 * D)
    activity(c3, w1 + 2 * D, actions=0, events=1, visits=1, visit_seconds=0)
    activity(c3, w1 + 10 * D)
    activity(c4, w1 + 4 * D, actions=1, visits=1, visit_seconds=60)
    activity(c5, w1 + D, actions=1, visits=1, visit_seconds=10000)
    activity(c6, W0)
    activity(c7, W0 - D)
    activity(k1, w1, visits=1, visit_seconds=900)
    activity(k1, w1 + 3 * D, visits=1, visit_seconds=900)
    admin = person(Role.ADMIN, joined=FEB1)  # administrators are never counted
    activity(admin, w1, actions=5, visits=3, visit_seconds=5000)
    return {"k2": k2}


def test_active_clients_acted_in_the_14_days_before_the_period_end() -> None:
    _engagement_world()
    rollup()
    # 14 days before 16 March: 2–15 March. Actions: c1 (9th), c2 (15th), c4 (13th),
    # c6 (2nd) = 4; c3 only looked around, c7 was on 1 March, c5 is deactivated.
    # Client accounts at the week's end: c1, c2, c3, c4, c6, c7 = 6.
    assert figures("active_clients", week(1)) == (4, 6, 4)
    # Daily: on 2 March (14 days: 17 Feb – 2 Mar) c6 and c7 had acted; c4 had not joined.
    assert figures("active_clients", W0, period="day") == (2, 5, 2)


def test_wau_share_by_role() -> None:
    _engagement_world()
    rollup()
    # Active in W1: c1, c2, c3, c4 (clients), k1 (coach) = 5 of 8 accounts.
    assert figures("wau_share", week(1)) == (5, 8, 62.5)
    assert figures("wau_share", week(1), "client") == (4, 6, approx(400 / 6))
    assert figures("wau_share", week(1), "coach") == (1, 2, 50.0)


def test_dau_share_per_day_and_as_the_mean_of_the_weeks_days() -> None:
    _engagement_world()
    rollup()
    w1 = week(1)
    # Wed 11 March: c3 only; accounts 7 (c4 joins on the 12th): 1/7; clients 1/5.
    assert figures("dau_share", w1 + 2 * D, period="day") == (1, 7, approx(100 / 7))
    assert figures("dau_share", w1 + 2 * D, "client", period="day") == (1, 5, 20.0)
    # Thu 12 March: k1 only; accounts 8: 1/8; coaches 1/2; clients 0/6.
    assert figures("dau_share", w1 + 3 * D, period="day") == (1, 8, 12.5)
    assert figures("dau_share", w1 + 3 * D, "coach", period="day") == (1, 2, 50.0)
    assert figures("dau_share", w1 + 3 * D, "client", period="day") == (0, 6, 0.0)
    # The week, day by day (active / accounts): 2/7, 1/7, 1/7, 1/8, 1/8, 0/8, 1/8.
    # Mean of the shares = (4/7 + 3/8) / 7; numerator and denominator are daily averages.
    numerator, denominator, share = figures("dau_share", w1)
    assert numerator == approx(7 / 7)
    assert denominator == approx((3 * 7 + 4 * 8) / 7)
    assert share == approx(100 * (4 / 7 + 3 / 8) / 7)
    # Clients: 1/5, 1/5, 1/5, 0/6, 1/6, 0/6, 1/6 → (3/5 + 2/6) / 7.
    assert figures("dau_share", w1, "client")[2] == approx(100 * (3 / 5 + 2 / 6) / 7)
    # Coaches: 1/2 on Monday and Thursday → (2 × 1/2) / 7.
    assert figures("dau_share", w1, "coach")[2] == approx(100 / 7)


def test_visit_minutes_is_time_in_visits_over_visits() -> None:
    _engagement_world()
    rollup()
    # Visits: c1 2 + 1, c2 1, c3 1, c4 1, k1 1 + 1 = 8 (c5 is deactivated).
    # Seconds: 600 + 300 + 1200 + 0 + 60 + 900 + 900 = 3960 = 66 minutes → 8.25 a visit.
    assert figures("visit_minutes", week(1)) == (66, 8, 8.25)


def test_return_within_7_days_of_the_first_active_day_in_the_week() -> None:
    _engagement_world()
    rollup()
    # c1: 9th → 10th (return). c2: 15th → 22nd, exactly 7 days (return). c3: 11th →
    # 19th, 8 days (no). c4: 13th only (no). k1: 9th → 12th (return).
    assert figures("return_7d", week(1)) == (3, 5, 60.0)
    assert figures("return_7d", week(1), "client") == (2, 4, 50.0)
    assert figures("return_7d", week(1), "coach") == (1, 1, 100.0)


def test_coach_resource_upload_within_14_days_of_joining() -> None:
    k1 = coach(joined=at(W0, 10))
    resource(k1, created=at(W0 + 14 * D, 10))  # exactly 14 × 24 h: counts
    k2 = coach(joined=at(W0 + D, 10))
    resource(k2, created=at(W0 + 15 * D, 10) + S)  # one second late
    k3 = coach(joined=at(W0 + 2 * D, 10))
    event(k3, EventName.RESOURCE_UPLOADED, at(W0 + 3 * D))  # the resource was deleted since
    coach(joined=at(W0 + 3 * D))  # k4: nothing
    k5 = coach(joined=at(W0 - D))  # the week before: not in W0's cohort
    resource(k5, created=at(W0))
    rollup()
    # W0 cohort: k1, k2, k3, k4; uploaded in time: k1, k3 → 2 of 4.
    assert figures("coach_resource_upload_14d", W0) == (2, 4, 50.0)
    assert figures("coach_resource_upload_14d", week(-1)) == (1, 1, 100.0)


def test_client_resource_open_within_7_days_of_the_share() -> None:
    k = coach(joined=FEB1)
    r1, r2, r3 = (resource(k, created=FEB1) for _ in range(3))
    col = collection_of(k, r3)
    c1, c2, c3, c4, c5, c6 = (client(joined=FEB1) for _ in range(6))
    share(r1, c1, created=at(W0, 10))
    view(r1, c1, at(W0 + 7 * D, 10))  # exactly 7 × 24 h: opened
    share(r1, c2, created=at(W0 + D, 10))
    view(r1, c2, at(W0 + 8 * D, 10) + S)  # one second late
    view(r2, c2, at(W0 + 2 * D))  # a resource not shared with c2 in the week
    share(None, c3, created=at(W0 + 2 * D), collection=col)
    view(r3, c3, at(W0 + 3 * D))  # a resource of the shared collection: opened
    share(r2, c4, created=at(W0 + 3 * D, 10))
    view(r2, c4, at(W0 + 3 * D, 9))  # before the share: does not count
    share(r1, c5, created=at(W0 - D))  # previous week: not in W0's cohort
    view(r1, c5, at(W0))
    share(r1, c6, created=at(W0 + 4 * D))
    share(r2, c6, created=at(W0 + 5 * D))
    view(r2, c6, at(W0 + 6 * D))  # one of two shares opened: counted once
    rollup()
    # Clients given something in W0: c1, c2, c3, c4, c6 = 5; opened: c1, c3, c6 = 3.
    assert figures("client_resource_open_7d", W0) == (3, 5, 60.0)


def test_client_journal_writing_and_sharing() -> None:
    w1 = week(1)  # ends 16 March; the 30 sharing days start 14 February 00:00
    k = coach(joined=FEB1)
    j1, j2, j3, j4, j5 = (client(joined=FEB1) for _ in range(5))
    entry(j1, created=at(w1 + D))  # wrote
    entry(j2, created=at(W0 + 6 * D), shared_with=k, shared_at=at(w1 + 3 * D))  # shared
    entry(j3, created=at(w1 + 6 * D, 23, 59, 59), shared_with=k, shared_at=at(w1 - 23 * D, 0))
    event(j4, EventName.JOURNAL_SHARED, at(w1 - 17 * D))  # shared, withdrawn since
    entry(j5, created=at(w1 + 7 * D, 0), shared_with=k, shared_at=at(w1 - 24 * D, 23, 59))
    j6 = client(joined=FEB1, onboarded=None)  # not onboarded: left out
    entry(j6, created=at(w1 + D))
    j7 = client(joined=FEB1, active=False)  # deactivated: left out
    entry(j7, created=at(w1 + D))
    client(joined=at(w1 + 11 * D))  # joined after the week: left out
    rollup()
    # Denominator: j1–j5 = 5. Wrote in W1: j1, j3 (its last second) = 2 → 40 %.
    # j5's entry is 16 March 00:00, the next week.
    assert figures("client_journal_weekly", w1) == (2, 5, 40.0)
    # Shared in 14 Feb – 15 Mar: j2, j3 (14 Feb 00:00), j4 (event) = 3 → 60 %;
    # j5 shared on 13 February 23:59.
    assert figures("client_journal_sharing", w1) == (3, 5, 60.0)


def test_messaging_pairs_exchanging_a_message_in_the_week() -> None:
    w1 = week(1)
    k, k2 = coach(joined=FEB1), coach(joined=FEB1)
    a, b, c, d, e, f = (client(joined=FEB1) for _ in range(6))
    link(k, a, created=FEB1)
    message(conversation(k, a), a, at(w1 + D))  # p1: a message in W1
    link(k, b, created=FEB1)
    message(conversation(k, b), b, at(W0 + 6 * D))  # p2: only the week before
    link(k, c, created=FEB1, status=CoachClient.Status.ARCHIVED, archived_at=at(w1 + 11 * D))
    message(conversation(k, c), k, at(w1 + 5 * D))  # p3: archived after the week: counts
    link(k, d, created=FEB1, status=CoachClient.Status.ARCHIVED, archived_at=at(w1 + 3 * D))
    message(conversation(k, d), d, at(w1 + D))  # p4: archived during the week: left out
    link(k2, e, created=at(w1 + 8 * D))  # p5: linked after the week
    link(k2, f, created=at(w1 + 6 * D))  # p6: linked on Sunday, no message
    rollup()
    # Pairs at the week's end: p1, p2, p3, p6 = 4; with a message: p1, p3 → 50 %.
    assert figures("messaging_pairs_weekly", w1) == (2, 4, 50.0)


def test_coach_response_hours_and_unanswered_turns() -> None:
    w1 = week(1)
    k, k2 = coach(joined=FEB1), coach(joined=FEB1)
    a, b, c, d = (client(joined=FEB1) for _ in range(4))
    one = conversation(k, a)
    message(one, a, at(w1, 10))  # T1: the conversation's first message
    message(one, a, at(w1, 11))  # same turn: the clock does not restart
    message(one, k, at(w1, 14))  # T1 answered after 4 hours
    message(one, a, at(w1 + D, 9))  # T2
    message(one, k, at(w1 + 2 * D, 9))  # answered after 24 hours
    two = conversation(k, b)
    message(two, k, at(W0 + 6 * D, 10))
    message(two, b, at(w1 + 3 * D, 8))  # T3
    message(two, k, at(w1 + 33 * D, 8) + S)  # 30 days + 1 s: too late, unanswered
    three = conversation(k2, c)
    message(three, c, at(W0 + 6 * D, 23))  # a turn of the week before
    message(three, c, at(w1, 1))  # not a new turn (follows a client message)
    message(three, k2, at(w1, 2))
    four = conversation(k2, d)
    message(four, d, at(w1 + 6 * D, 20))  # T4
    message(four, k2, at(w1 + 36 * D, 20))  # exactly 30 days: answered, 720 hours
    rollup()
    # Turns in W1: T1–T4 = 4; answered: T1 4 h, T2 24 h, T4 720 h = 748 h over 3.
    assert figures("coach_response_hours", w1) == (748, 3, approx(748 / 3))
    assert figures("coach_response_unanswered", w1) == (1, 4, 25.0)
    # W0: the turn of Sunday 23:00, answered at 02:00 → 3 hours.
    assert figures("coach_response_hours", W0) == (3, 1, 3.0)


def test_nps_by_segment_per_week_and_month() -> None:
    def answer(role, score, when, **kw):
        who = person_for(role, kw.pop("language", "en"))
        return nps_answer(who, score, when, **kw)

    def person_for(role, language):
        return person(role, joined=FEB1, language=language)

    answer(Role.COACH, 10, at(W0))  # promoter, en
    answer(Role.COACH, 9, at(W0 + D), language="he")  # promoter, he
    answer(Role.CLIENT, 8, at(W0 + 2 * D))  # passive, en
    answer(Role.CLIENT, 6, at(W0 + 3 * D), language="he")  # detractor, he
    answer(Role.CLIENT, 0, at(W0 + 4 * D), trigger="session")  # detractor, en, session
    answer(Role.CLIENT, 7, at(W0 + 5 * D))  # passive, en
    answer(Role.CLIENT, None, at(W0 + 5 * D))  # dismissed: not an answer
    answer(Role.CLIENT, 10, at(W0 + 7 * D, 0))  # Monday 9 March: W1
    answer(Role.CLIENT, 3, at(W0 - 2 * D))  # 28 February: W-1 and February
    answer(Role.ADMIN, 0, at(W0 + D))  # administrators never count
    rollup()
    # W0: 6 answers; promoters 2, detractors 2 → (2 − 2) / 6 = 0.
    assert figures("nps", W0) == (0, 6, 0.0)
    assert figures("nps", W0, "coach") == (2, 2, 100.0)
    # Clients: 8, 6, 0, 7 → (0 − 2) / 4 = −50.
    assert figures("nps", W0, "client") == (-2, 4, -50.0)
    assert figures("nps", W0, "session") == (-1, 1, -100.0)
    # Monthly: 10, 9, 8, 6, 7 → (2 − 1) / 5 = 20.
    assert figures("nps", W0, "monthly") == (1, 5, 20.0)
    # English: 10, 8, 0, 7 → (1 − 1) / 4 = 0; Hebrew: 9, 6 → 0.
    assert figures("nps", W0, "en") == (0, 4, 0.0)
    assert figures("nps", W0, "he") == (0, 2, 0.0)
    # March: W0's six and Monday 9 March's 10 → (3 − 2) / 7.
    march = W0.replace(day=1)
    assert figures("nps", march, period="month") == (1, 7, approx(100 / 7))
    assert figures("nps", march.replace(month=2), period="month") == (-1, 1, -100.0)


def test_growth_totals_and_new_accounts() -> None:
    w1 = week(1)
    coach(joined=FEB1)  # k1
    coach(joined=at(w1 + D))  # k2
    coach(joined=at(w1 + 3 * D), active=False)  # k3: deactivated, never counted
    coach(joined=at(w1 + 11 * D))  # k4: 20 March
    client(joined=FEB1)  # c1
    client(joined=at(w1, 0))  # c2: the week's first instant
    client(joined=at(w1 + 6 * D, 23, 59, 59))  # c3: its last second
    client(joined=at(w1 + 7 * D, 0))  # c4: the next week
    rollup()
    assert figures("coaches_total", w1) == (2, 1, 2)  # k1, k2; at the start: k1
    assert figures("coaches_new", w1) == (1, 2, 1)  # k2
    assert figures("clients_total", w1) == (3, 1, 3)  # c1–c3; at the start: c1
    assert figures("clients_new", w1) == (2, 3, 2)  # c2, c3
    march = W0.replace(day=1)
    assert figures("coaches_total", march, period="month") == (3, 1, 3)
    assert figures("coaches_new", march, period="month") == (2, 3, 2)
    assert figures("clients_new", march, period="month") == (3, 4, 3)


def test_every_kpi_has_a_row_for_every_segment_and_period_kind() -> None:
    from loom.analytics.kpi_catalog import KPIS

    client(joined=at(W0))
    rollup()
    for kpi in KPIS:
        for kind in kpi.periods:
            for segment in kpi.segments:
                assert KpiValue.objects.filter(
                    kpi=kpi.key, period=kind, segment=segment
                ).exists(), (kpi.key, kind, segment)
    # Nothing else: no period kind a KPI does not declare.
    for kpi in KPIS:
        assert not KpiValue.objects.filter(kpi=kpi.key).exclude(period__in=kpi.periods).exists()
    assert NOW  # the support module's clock
