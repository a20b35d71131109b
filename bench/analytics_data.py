"""The analytics bench data set, generated inside PostgreSQL with set-based SQL.

At scale 1.0 (``BENCH_ANALYTICS_SCALE``, the issue's numbers): **1,000 coaches and
50,000 clients** (50 each) with their coach links, onboarding rows, profiles, e-mail
addresses and invitations (one accepted per client, two open per coach); one session
type per coach and about **86,000 sessions** over 26 weeks and the next two (2–5 a week
per coach, completed, cancelled by either side, late, no-show, declined, still
scheduled, requested); 38,000 conversations with about **280,000 messages**;
20 resources per coach, 3 shares per client, opens and progress; about 150,000
journal entries (title and body one fixed ciphertext made once with
``loom.core.crypto``), about 230,000 check-ins, check-in sharing choices, monthly NPS
answers; and **5,000,000 ``analytics.Event`` rows** over the 26 weeks. Everything but
the people scales linearly (50 clients per coach at every scale); 0.02 is a quick run.

Every figure comes from a hash of the row's position (``hashint8extended``), never
from ``random()``, so the data set is the same on every machine and every run, and a
parallel plan cannot change it. Activity is skewed the way products are: a tenth of
the clients make 40 % of the visits, coaches are about six times as active as clients,
weekends are quieter, visits are 1–12 events a few seconds to minutes apart, and
nobody does anything before they joined.

Time: the data set is anchored at the UTC midnight of the day it was made (``anchor``).
Events cover the 26 weeks (182 days) ending a day before the anchor; the last day
(``anchor − 1 day`` to ``anchor``, about 1/182 of the events) is kept apart so the
rollup bench can add it as "one new day" and time the incremental run. Sessions run
to two weeks after the anchor (the upcoming ones are scheduled or requested).

Events are generated once into ``bench_analytics_event_pool`` (an UNLOGGED table
without indexes, so writing it is cheap) with a ``bucket`` per person (0–19); the real
``analytics_event`` table is loaded from it by buckets, which is how the rollup bench
measures the same jobs at 20 %, 50 % and 100 % of the events without generating them
again. An UNLOGGED table is emptied by a crash: it is regenerated when found empty.

The data set is made once per database and reused: the marker is the one row of
``bench_analytics_dataset`` (scale, anchor, key fingerprint, counts, generation time).
A database holds one scale; asking for another stops with a message (use another
database or drop this one). PostgreSQL only.
"""

# Every statement here is built from integers, fixed names and constants of this module,
# never from input: the S608 (SQL built from strings) findings do not apply.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

MARKER_TABLE = "bench_analytics_dataset"
POOL_TABLE = "bench_analytics_event_pool"
EMAIL_DOMAIN = "analytics.bench.loom.localhost"
ADMIN_EMAIL = "bench.analytics-admin@bench.loom.localhost"

COACHES_AT_SCALE_1 = 1000
CLIENTS_PER_COACH = 50
EVENTS_AT_SCALE_1 = 5_000_000
DAYS = 182  # 26 weeks of events before the incremental day
FUTURE_WEEKS = 2
RESOURCES_PER_COACH = 20
SHARES_PER_CLIENT = 3
BUCKETS = 20
# Mean events per visit of the visit-length formula below (1 + 11·u^1.7): 1 + 11/2.7.
MEAN_VISIT_EVENTS = 1 + 11 / 2.7
# Share of visits made by coaches (2 % of the people).
COACH_VISIT_SHARE = 0.12

# Real URL names (a test checks they resolve): page views record the route name only.
CLIENT_ROUTES = (
    "client:home",
    "journal:list",
    "journal:entry",
    "journal:new",
    "wellbeing_checkins:new",
    "wellbeing_progress:dashboard",
    "messaging:inbox",
    "resources_client:library",
    "scheduling_client:list",
    "wellbeing_goals:list",
)
COACH_ROUTES = (
    "coach:home",
    "scheduling_coach:calendar",
    "messaging:inbox",
    "resources_library:library",
    "analytics_coach:dashboard",
    "journal_coach:entry",
    "coach:client",
    "scheduling_coach:today",
)
FIRST_NAMES = (
    "Avi", "Noa", "Yael", "Tamar", "Lior", "Maya", "Eitan", "Shira", "Omer", "Dana",
    "Jonah", "Priya", "Marcus", "Elena", "Sam", "Grace", "Daniel", "Leah", "Amir", "Ruth",
)  # fmt: skip
LAST_NAMES = (
    "Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Friedman", "Azoulay", "Katz", "Shapiro", "Harel",
    "Whitaker", "Raman", "Bell", "Costa", "Oduya", "Novak", "Garcia", "Kim", "Ross", "Adler",
)  # fmt: skip
CLIENT_ZONES = ("America/New_York", "Europe/London", "America/Chicago", "Europe/Berlin")


class DatasetError(RuntimeError):
    """The database cannot hold this data set as asked (wrong scale, wrong keys)."""


@dataclass(frozen=True)
class Plan:
    """The sizes and ids of one data set; ids are allocated in blocks after any existing rows."""

    scale: float
    coaches: int
    clients: int
    events: int
    anchor: date
    user_base: int = 0
    type_base: int = 0
    conversation_base: int = 0
    resource_base: int = 0

    @property
    def people(self) -> int:
        return self.coaches + self.clients

    @property
    def anchor_at(self) -> datetime:
        return datetime(self.anchor.year, self.anchor.month, self.anchor.day, tzinfo=UTC)

    @property
    def base_start(self) -> datetime:
        """First instant of the 26 weeks of events (the incremental day comes after them)."""
        return self.anchor_at - timedelta(days=DAYS + 1)

    @property
    def incremental_day(self) -> datetime:
        return self.anchor_at - timedelta(days=1)


@dataclass
class Dataset:
    """What the marker row records."""

    scale: float
    anchor: str
    user_base: int
    coaches: int
    clients: int
    events: int
    key_fingerprint: str
    created_at: str
    generation_s: float
    counts: dict[str, int] = field(default_factory=dict)
    steps_s: dict[str, float] = field(default_factory=dict)

    @property
    def coach_id(self) -> int:
        """The coach whose analytics page is measured: the first, with 50 active clients
        and the whole 26 weeks of history."""
        return self.user_base

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_for(scale: float, *, anchor: date) -> Plan:
    if not (0 < scale <= 4):
        raise DatasetError(f"BENCH_ANALYTICS_SCALE must be in (0, 4], not {scale}")
    coaches = max(1, round(COACHES_AT_SCALE_1 * scale))
    return Plan(
        scale=scale,
        coaches=coaches,
        clients=coaches * CLIENTS_PER_COACH,
        events=max(1000, round(EVENTS_AT_SCALE_1 * scale)),
        anchor=anchor,
    )


def rnd(expr: str, salt: int) -> str:
    """SQL for a uniform number in [0, 1) drawn from ``expr`` (an integer) and ``salt``.

    A hash of the row's position rather than ``random()``: the same on every run and in
    any query plan, parallel or not.
    """
    return f"((hashint8extended(({expr})::int8, {salt}::int8) & 4503599627370495)::float8 / 4503599627370496.0)"


def _sql_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _coprime_step(n: int) -> int:
    """A multiplier that permutes 0..n-1 (``(i * step) % n``): spreads the busiest
    ranks over ids so activity is not correlated with who joined first."""
    for step in (7919, 7907, 7901, 7883, 7879):
        if math.gcd(step, n) == 1:
            return step
    return 1


def key_fingerprint() -> str:
    """Which encryption key the data set's ciphertext was made with (not the key itself)."""
    from django.conf import settings

    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or ()
    first = keys[0] if isinstance(keys, list | tuple) and keys else str(keys)
    return hashlib.sha256(f"loom-bench:{first}".encode()).hexdigest()[:16]


# --- marker ------------------------------------------------------------------------------------


def _ensure_marker_table(cursor: Any) -> None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} ("
        "id smallint PRIMARY KEY CHECK (id = 1), state text NOT NULL, info jsonb NOT NULL)"
    )


def dataset_read() -> tuple[str, Dataset] | None:
    """(state, dataset) from the marker row, or None when this database has none."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT state, info FROM {MARKER_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return None
    info = row[1] if isinstance(row[1], dict) else json.loads(row[1])
    return row[0], Dataset(**info)


def _marker_write(cursor: Any, state: str, dataset: Dataset) -> None:
    cursor.execute(
        f"INSERT INTO {MARKER_TABLE} (id, state, info) VALUES (1, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, info = EXCLUDED.info",
        [state, json.dumps(dataset.to_json())],
    )


# --- generation --------------------------------------------------------------------------------


def _allocate(cursor: Any, plan: Plan) -> Plan:
    """Blocks of ids after every existing row, so explicit ids never collide and rows
    can refer to each other by arithmetic (coach ``i`` is ``user_base + i``)."""

    def next_block(table: str) -> int:
        cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
        return (int(cursor.fetchone()[0]) // 1000 + 1) * 1000

    return Plan(
        **{
            **asdict(plan),
            "user_base": next_block("accounts_user"),
            "type_base": next_block("scheduling_sessiontype"),
            "conversation_base": next_block("messaging_conversation"),
            "resource_base": next_block("resources_resource"),
        }
    )


def _statements(plan: Plan, ciphertext: str) -> list[tuple[str, str]]:
    """(label, SQL) for every table but the events, in dependency order."""
    ub, cc, nn = plan.user_base, plan.coaches, plan.clients
    start = f"'{plan.base_start.isoformat()}'::timestamptz"
    anchor = f"'{plan.anchor_at.isoformat()}'::timestamptz"
    k = CLIENTS_PER_COACH
    first, last = _sql_array(FIRST_NAMES), _sql_array(LAST_NAMES)
    zones = _sql_array(CLIENT_ZONES)
    cipher = "'" + ciphertext.replace("'", "''") + "'"
    # Coach i: id ub + i. Client j: id ub + cc + j, coach j / 50.
    coach_of = f"({ub} + (u.id - {ub} - {cc}) / {k})"
    return [
        (
            "users",
            f"""
            INSERT INTO accounts_user (id, password, is_superuser, email, full_name, role, language,
                timezone, avatar, phone, is_active, is_staff, date_joined)
            SELECT {ub} + i, '!bench-unusable-password', false,
                format('coach-%s@{EMAIL_DOMAIN}', lpad(i::text, 5, '0')),
                ({first})[1 + i % 20] || ' ' || ({last})[1 + (i / 20) % 20],
                'coach', CASE WHEN i > 0 AND {rnd("i", 1)} < 0.3 THEN 'he' ELSE 'en' END,
                CASE WHEN i = 0 THEN 'America/New_York' WHEN {rnd("i", 1)} < 0.3 THEN 'Asia/Jerusalem'
                     ELSE ({zones})[1 + i % 4] END,
                '', '', true, false,
                -- The measured coach (0) has the whole history; 70 % joined before the
                -- window, the rest during it (growth).
                CASE WHEN i = 0 THEN {start} - interval '90 days'
                     WHEN {rnd("i", 2)} < 0.7 THEN {start} - (1 + {rnd("i", 3)} * 180) * interval '1 day'
                     ELSE {start} + {rnd("i", 3)} * 168 * interval '1 day' END
            FROM generate_series(0, {cc - 1}) AS i;
            INSERT INTO accounts_user (id, password, is_superuser, email, full_name, role, language,
                timezone, avatar, phone, is_active, is_staff, date_joined)
            SELECT {ub} + {cc} + j, '!bench-unusable-password', false,
                format('client-%s@{EMAIL_DOMAIN}', lpad(j::text, 6, '0')),
                ({first})[1 + (j * 7) % 20] || ' ' || ({last})[1 + (j / 3) % 20],
                'client', CASE WHEN {rnd("j", 4)} < 0.35 THEN 'he' ELSE 'en' END,
                CASE WHEN {rnd("j", 4)} < 0.35 THEN 'Asia/Jerusalem' ELSE ({zones})[1 + j % 4] END,
                '', '', true, false,
                -- A coach's clients join in order after them, faster at first, the last
                -- a week before the anchor: client m of 50 at ((m + u) / 50)² of the span.
                coach.date_joined + (((j % {k}) + {rnd("j", 5)}) / {k}) ^ 2
                    * greatest(({anchor} - interval '7 days') - coach.date_joined, interval '1 day')
            FROM generate_series(0, {nn - 1}) AS j
            JOIN accounts_user AS coach ON coach.id = {ub} + j / {k};
            SELECT setval(pg_get_serial_sequence('accounts_user', 'id'),
                          (SELECT max(id) FROM accounts_user));
            """,
        ),
        (
            "profiles",
            f"""
            INSERT INTO account_emailaddress (email, verified, "primary", user_id)
            SELECT email, true, true, id FROM accounts_user WHERE id >= {ub} AND id < {ub + cc + nn};
            INSERT INTO accounts_coachprofile (created_at, updated_at, headline, bio, specialties,
                languages_spoken, user_id)
            SELECT date_joined, date_joined, 'Career and life transitions coach',
                'Coaching people through career changes, new roles and burnout recovery.',
                '["career", "leadership"]', '["en", "he"]', id
            FROM accounts_user WHERE id >= {ub} AND id < {ub + cc};
            INSERT INTO accounts_clientprofile (created_at, updated_at, goals, reason, user_id)
            SELECT date_joined, date_joined, '', '', id
            FROM accounts_user WHERE id >= {ub + cc} AND id < {ub + cc + nn};
            -- 88 % finish onboarding within 6 days, 5 % later, 7 % never.
            INSERT INTO accounts_onboarding (started_at, profile_at, mfa_prompt_at, completed_at, user_id)
            SELECT date_joined, date_joined + interval '20 minutes', date_joined + interval '25 minutes',
                CASE WHEN {rnd("id", 6)} < 0.88 THEN date_joined + {rnd("id", 7)} * interval '6 days'
                     WHEN {rnd("id", 6)} < 0.93 THEN date_joined + (8 + {rnd("id", 7)} * 12) * interval '1 day'
                END, id
            FROM accounts_user WHERE id >= {ub} AND id < {ub + cc + nn};
            """,
        ),
        (
            "links",
            f"""
            -- 4 % of links archived, never the measured coach's (50 active clients).
            INSERT INTO accounts_coachclient (created_at, updated_at, status, archived_at, client_id, coach_id)
            SELECT u.date_joined, u.date_joined,
                CASE WHEN {coach_of} > {ub} AND {rnd("u.id", 8)} < 0.04 THEN 'archived' ELSE 'active' END,
                CASE WHEN {coach_of} > {ub} AND {rnd("u.id", 8)} < 0.04
                     THEN u.date_joined + {rnd("u.id", 9)} * ({anchor} - u.date_joined) END,
                u.id, {coach_of}
            FROM accounts_user AS u WHERE u.id >= {ub + cc} AND u.id < {ub + cc + nn};
            -- Every client was invited, 0–3 days before joining, and accepted.
            INSERT INTO accounts_invitation (created_at, updated_at, email, full_name, language, message,
                token_hash, expires_at, sent_count, last_sent_at, accepted_at, revoked_at,
                accepted_by_id, coach_id, send_window_started_at, sends_in_window)
            SELECT inv.at, u.date_joined, u.email, u.full_name, u.language, '',
                md5('bench-inv-' || u.id) || md5('bench-inv-b-' || u.id),
                inv.at + interval '7 days', 1, inv.at, u.date_joined, NULL, u.id, {coach_of}, inv.at, 1
            FROM accounts_user AS u
            CROSS JOIN LATERAL (SELECT u.date_joined - {rnd("u.id", 10)} * interval '3 days' AS at) AS inv
            WHERE u.id >= {ub + cc} AND u.id < {ub + cc + nn};
            -- Two open invitations per coach.
            INSERT INTO accounts_invitation (created_at, updated_at, email, full_name, language, message,
                token_hash, expires_at, sent_count, last_sent_at, accepted_at, revoked_at,
                accepted_by_id, coach_id, send_window_started_at, sends_in_window)
            SELECT {anchor} - (1 + n) * interval '1 day', {anchor} - (1 + n) * interval '1 day',
                format('pending-%s-%s@{EMAIL_DOMAIN}', i, n), 'Pending Invitee', 'en', '',
                md5('bench-open-' || i || '-' || n) || md5('bench-open-b-' || i || '-' || n),
                {anchor} + (6 - n) * interval '1 day', 1, {anchor} - (1 + n) * interval '1 day',
                NULL, NULL, NULL, {ub} + i, {anchor} - (1 + n) * interval '1 day', 1
            FROM generate_series(0, {cc - 1}) AS i CROSS JOIN generate_series(0, 1) AS n;
            """,
        ),
        (
            "sessions",
            f"""
            INSERT INTO scheduling_sessiontype (id, created_at, updated_at, name_en, name_he,
                description_en, description_he, duration_minutes, price, currency, location_kind,
                address, buffer_before_minutes, buffer_after_minutes, minimum_notice_minutes,
                booking_horizon_days, booking_mode, capacity, colour, is_active, coach_id)
            SELECT {plan.type_base} + i, u.date_joined, u.date_joined, 'Coaching session',
                'פגישת אימון', '', '', 60, 0, 'USD', 'video', '', 0, 0, 240, 60, 'self_book', 1,
                '#2563eb', true, u.id
            FROM generate_series(0, {cc - 1}) AS i JOIN accounts_user AS u ON u.id = {ub} + i;
            SELECT setval(pg_get_serial_sequence('scheduling_sessiontype', 'id'),
                          (SELECT max(id) FROM scheduling_sessiontype));
            -- 2–5 sessions a week per coach (busier and quieter coaches, busier and
            -- quieter weeks), on distinct weekdays so they never overlap, with a client
            -- of theirs who had joined by then.
            INSERT INTO scheduling_session (created_at, updated_at, starts_at, ends_at, coach_timezone,
                buffer_before_minutes, buffer_after_minutes, status, cancelled_at, cancellation_reason,
                late_cancellation, uid, sequence, cancelled_by_id, client_id, coach_id, session_type_id,
                capacity, meeting_url, series)
            SELECT s.starts_at - interval '5 days', s.starts_at, s.starts_at, s.starts_at + interval '60 minutes',
                coach.timezone, 0, 0, s.status,
                CASE WHEN s.status = 'cancelled' THEN s.starts_at - (CASE WHEN s.late THEN 6 ELSE 72 END) * interval '1 hour' END,
                '', s.status = 'cancelled' AND s.late,
                md5('bench-session-' || s.key) || '@bench', 0,
                CASE WHEN s.status = 'cancelled' THEN CASE WHEN s.by_client THEN client.id ELSE coach.id END END,
                client.id, coach.id, {plan.type_base} + s.i, 1, '', NULL
            FROM (
                SELECT i, w, d, key, starts_at, late, by_client, client_r,
                    CASE WHEN starts_at >= {anchor} THEN CASE WHEN r < 0.9 THEN 'scheduled' ELSE 'requested' END
                         WHEN r < 0.78 THEN 'completed' WHEN r < 0.86 THEN 'cancelled'
                         WHEN r < 0.91 THEN 'no_show' WHEN r < 0.94 THEN 'declined'
                         ELSE 'scheduled' END AS status
                FROM (
                    SELECT i, w, d, (i::int8 * 64 + w) * 8 + d AS key,
                        {start} + (7 * w + d) * interval '1 day'
                            + (8 + floor({rnd("(i::int8 * 64 + w) * 8 + d", 12)} * 9)) * interval '1 hour' AS starts_at,
                        {rnd("(i::int8 * 64 + w) * 8 + d", 13)} AS r,
                        {rnd("(i::int8 * 64 + w) * 8 + d", 14)} < 0.3 AS late,
                        {rnd("(i::int8 * 64 + w) * 8 + d", 15)} < 0.6 AS by_client,
                        {rnd("(i::int8 * 64 + w) * 8 + d", 16)} AS client_r
                    FROM generate_series(0, {cc - 1}) AS i
                    CROSS JOIN generate_series(0, {DAYS // 7 + FUTURE_WEEKS}) AS w
                    CROSS JOIN generate_series(0, 4) AS d
                    WHERE d < 2 + floor({rnd("i", 17)} * 3) + floor({rnd("i::int8 * 64 + w", 18)} * 2)
                ) AS raw
            ) AS s
            JOIN accounts_user AS coach ON coach.id = {ub} + s.i
            -- Only among the clients who had joined by then (they join in order, above).
            CROSS JOIN LATERAL (
                SELECT least({k}, floor({k} * sqrt(greatest(0, extract(epoch FROM s.starts_at - coach.date_joined)
                    / extract(epoch FROM greatest(({anchor} - interval '7 days') - coach.date_joined, interval '1 day'))))))::int AS joined
            ) AS roster
            JOIN accounts_user AS client
                ON client.id = {ub + cc} + s.i * {k} + floor(s.client_r * roster.joined)::int
            WHERE roster.joined >= 1
              AND s.starts_at > coach.date_joined + interval '1 day' AND s.starts_at > client.date_joined
              AND s.starts_at < {anchor} + interval '{7 * FUTURE_WEEKS} days';
            """,
        ),
        (
            "messages",
            f"""
            -- A conversation per client who wrote (or was written to): 0–17 messages,
            -- most pairs a few, some many.
            DROP TABLE IF EXISTS bench_conv;
            CREATE TEMP TABLE bench_conv ON COMMIT DROP AS
            SELECT u.id AS client_id, {coach_of} AS coach_id, u.date_joined AS joined,
                u.id - {ub} - {cc} AS j, floor(18 * {rnd("u.id", 20)} ^ 2)::int AS messages
            FROM accounts_user AS u WHERE u.id >= {ub + cc} AND u.id < {ub + cc + nn};
            DELETE FROM bench_conv WHERE messages = 0;
            INSERT INTO messaging_conversation (id, created_at, last_message_at, client_id, coach_id, last_message_id)
            SELECT {plan.conversation_base} + j, joined, NULL, client_id, coach_id, NULL FROM bench_conv;
            SELECT setval(pg_get_serial_sequence('messaging_conversation', 'id'),
                          (SELECT max(id) FROM messaging_conversation));
            INSERT INTO messaging_message (client_id, body, body_html, created_at, edited_at, deleted_at,
                conversation_id, reply_to_id, sender_id)
            SELECT md5('bench-message-' || c.j || '-' || t)::uuid, 'Thanks, see you next week.',
                '<p>Thanks, see you next week.</p>',
                c.joined + ((t + {rnd("c.j * 32 + t", 21)}) / c.messages) * ({anchor} - c.joined),
                NULL, NULL, {plan.conversation_base} + c.j, NULL,
                CASE WHEN t = 0 OR {rnd("c.j * 32 + t", 22)} < 0.55 THEN c.client_id ELSE c.coach_id END
            FROM bench_conv AS c CROSS JOIN LATERAL generate_series(0, c.messages - 1) AS t;
            UPDATE messaging_conversation AS conv
            SET last_message_id = last.id, last_message_at = last.created_at
            FROM (
                SELECT DISTINCT ON (conversation_id) conversation_id, id, created_at
                FROM messaging_message WHERE conversation_id >= {plan.conversation_base}
                ORDER BY conversation_id, created_at DESC, id DESC
            ) AS last
            WHERE conv.id = last.conversation_id;
            -- Both have read everything, except 10 % of coaches behind on a conversation.
            INSERT INTO messaging_participant (last_read_message_id, last_read_at, conversation_id, user_id)
            SELECT conv.last_message_id, conv.last_message_at, conv.id, conv.client_id
            FROM messaging_conversation AS conv WHERE conv.id >= {plan.conversation_base}
            UNION ALL
            SELECT CASE WHEN {rnd("conv.id", 23)} < 0.1 THEN 0 ELSE conv.last_message_id END,
                conv.last_message_at, conv.id, conv.coach_id
            FROM messaging_conversation AS conv WHERE conv.id >= {plan.conversation_base};
            """,
        ),
        (
            "resources",
            f"""
            INSERT INTO resources_resource (id, created_at, updated_at, kind, title, description, url, file,
                file_kind, content_type, size_bytes, original_name, captions, captions_language,
                duration_seconds, version, auto_share, search_text, category_id, coach_id)
            SELECT {plan.resource_base} + i * {RESOURCES_PER_COACH} + n, at, at, kind,
                format('Resource %s', n + 1), '',
                CASE WHEN kind = 'link' THEN format('https://example.org/bench/%s/%s', i, n) ELSE '' END,
                CASE WHEN kind = 'link' THEN '' ELSE format('resources/bench/%s/%s.bin', i, n) END,
                CASE kind WHEN 'document' THEN 'pdf' WHEN 'audio' THEN 'mp3' WHEN 'video' THEN 'mp4' ELSE '' END,
                CASE kind WHEN 'document' THEN 'application/pdf' WHEN 'audio' THEN 'audio/mpeg'
                          WHEN 'video' THEN 'video/mp4' ELSE '' END,
                CASE WHEN kind = 'link' THEN 0 ELSE 200000 + n * 50000 END,
                CASE WHEN kind = 'link' THEN '' ELSE format('resource-%s.bin', n) END, '', '',
                CASE WHEN kind IN ('audio', 'video') THEN 300 + n * 30 END, 1, false,
                format('resource %s', n + 1), NULL, {ub} + i
            FROM (
                SELECT i, n, (ARRAY['document', 'link', 'audio', 'video'])[1 + n % 4] AS kind,
                    u.date_joined + ({rnd("i * 64 + n", 24)} ^ 2) * ({anchor} - u.date_joined) AS at
                FROM generate_series(0, {cc - 1}) AS i CROSS JOIN generate_series(0, {RESOURCES_PER_COACH - 1}) AS n
                JOIN accounts_user AS u ON u.id = {ub} + i
            ) AS r;
            SELECT setval(pg_get_serial_sequence('resources_resource', 'id'),
                          (SELECT max(id) FROM resources_resource));
            -- Three of their coach's resources per client (distinct: offsets 0, 7, 14 of 20).
            DROP TABLE IF EXISTS bench_share;
            CREATE TEMP TABLE bench_share ON COMMIT DROP AS
            SELECT u.id AS client_id, {coach_of} AS coach_id,
                {plan.resource_base} + ({coach_of} - {ub}) * {RESOURCES_PER_COACH}
                    + ((u.id + s * 7) % {RESOURCES_PER_COACH}) AS resource_id,
                greatest(u.date_joined, res.created_at)
                    + {rnd("u.id * 4 + s", 25)} * ({anchor} - greatest(u.date_joined, res.created_at)) AS at,
                u.id * 4 + s AS key
            FROM accounts_user AS u CROSS JOIN generate_series(0, {SHARES_PER_CLIENT - 1}) AS s
            JOIN resources_resource AS res ON res.id = {plan.resource_base}
                + ({coach_of} - {ub}) * {RESOURCES_PER_COACH} + ((u.id + s * 7) % {RESOURCES_PER_COACH})
            WHERE u.id >= {ub + cc} AND u.id < {ub + cc + nn};
            INSERT INTO resources_share (created_at, updated_at, can_download, expires_at, source,
                client_id, coach_id, collection_id, resource_id)
            SELECT at, at, true, NULL, 'chosen', client_id, coach_id, NULL, resource_id FROM bench_share;
            -- 60 % opened within ten days, half of those completed.
            DROP TABLE IF EXISTS bench_open;
            CREATE TEMP TABLE bench_open ON COMMIT DROP AS
            SELECT client_id, coach_id, resource_id, key,
                least(at + {rnd("key", 27)} * interval '10 days', {anchor} - interval '1 minute') AS opened_at
            FROM bench_share WHERE {rnd("key", 26)} < 0.6;
            INSERT INTO resources_resourceview (viewed_at, client_id, coach_id, resource_id)
            SELECT opened_at, client_id, coach_id, resource_id FROM bench_open;
            INSERT INTO resources_resourceprogress (first_viewed_at, last_viewed_at, view_count, played,
                watched_share, position_seconds, completed_at, updated_at, client_id, coach_id, resource_id)
            SELECT opened_at, opened_at, 1, '[]',
                CASE WHEN {rnd("key", 28)} < 0.5 THEN 1.0 ELSE 0.3 END, 0,
                CASE WHEN {rnd("key", 28)} < 0.5 THEN opened_at + interval '20 minutes' END,
                opened_at, client_id, coach_id, resource_id
            FROM bench_open;
            """,
        ),
        (
            "wellbeing",
            f"""
            -- Journal: a third of clients write most of it; 15 % of entries shared.
            INSERT INTO journal_entry (written_on, created_at, updated_at, title, body, builtin_prompt,
                mood, energy, sensations, emotions, body_areas, practices, audio, audio_content_type,
                audio_size, shared_at, author_id, shared_with_id, prompt_id)
            SELECT (e.at AT TIME ZONE u.timezone)::date, e.at, e.at, {cipher}, {cipher}, '',
                1 + floor({rnd("e.key", 31)} * 10)::int, 1 + floor({rnd("e.key", 32)} * 10)::int,
                '[]', '[]', '[]', '[]', '', '', 0,
                CASE WHEN {rnd("e.key", 33)} < 0.15 THEN e.at + interval '1 hour' END, u.id,
                CASE WHEN {rnd("e.key", 33)} < 0.15 THEN {coach_of} END, NULL
            FROM accounts_user AS u
            CROSS JOIN LATERAL generate_series(0, floor(12 * {rnd("u.id", 30)} ^ 2.5)::int - 1) AS t
            CROSS JOIN LATERAL (
                SELECT u.id * 64 + t AS key,
                    u.date_joined + {rnd("u.id * 64 + t", 34)} * ({anchor} - u.date_joined) AS at
            ) AS e
            WHERE u.id >= {ub + cc} AND u.id < {ub + cc + nn};
            -- Check-ins: skewed the same way; mood drifts per client (some falling).
            INSERT INTO wellbeing_checkin (occurred_at, timezone, local_date, local_hour, created_at,
                updated_at, pleasantness, energy, emotions, sensations, trigger, thoughts, behaviour,
                coping_strategy, coping_helped, sleep_hours, note, client_id)
            SELECT c.at, u.timezone, (c.at AT TIME ZONE u.timezone)::date,
                extract(hour FROM c.at AT TIME ZONE u.timezone)::int, c.at, c.at,
                greatest(1, least(10, round(5 + 3 * ({rnd("u.id", 41)} - 0.5)
                    + (c.pos - 0.5) * 4 * ({rnd("u.id", 42)} - 0.5) + 2 * ({rnd("c.key", 43)} - 0.5))))::int,
                1 + floor({rnd("c.key", 44)} * 10)::int, '[]', '[]', '', '', '', '', NULL, NULL, '', u.id
            FROM accounts_user AS u
            CROSS JOIN LATERAL generate_series(0, floor(20 * {rnd("u.id", 40)} ^ 3)::int - 1) AS t
            CROSS JOIN LATERAL (
                SELECT u.id * 64 + t AS key, {rnd("u.id * 64 + t", 45)} AS pos,
                    u.date_joined + {rnd("u.id * 64 + t", 45)} * ({anchor} - u.date_joined) AS at
            ) AS c
            WHERE u.id >= {ub + cc} AND u.id < {ub + cc + nn};
            INSERT INTO wellbeing_sharingpreference (client_id, share_checkins, share_goals, updated_at)
            SELECT id, {rnd("id", 46)} < 0.4, true, date_joined
            FROM accounts_user WHERE id >= {ub + cc} AND id < {ub + cc + nn};
            """,
        ),
        (
            "nps",
            f"""
            -- A quarter of the people asked each month answer (10 % of those dismiss);
            -- half promoters, a third passives, the rest detractors.
            INSERT INTO analytics_npsresponse (role, language, trigger, period, score, comment, created_at,
                answered_at, dismissed_at, session_id, user_id)
            SELECT u.role, u.language, CASE WHEN {rnd("u.id * 16 + m", 51)} < 0.3 THEN 'session' ELSE 'monthly' END,
                to_char(n.at, 'YYYY-MM'),
                CASE WHEN {rnd("u.id * 16 + m", 52)} < 0.1 THEN NULL
                     WHEN {rnd("u.id * 16 + m", 53)} < 0.5 THEN 9 + floor({rnd("u.id * 16 + m", 54)} * 2)::int
                     WHEN {rnd("u.id * 16 + m", 53)} < 0.83 THEN 7 + floor({rnd("u.id * 16 + m", 54)} * 2)::int
                     ELSE floor({rnd("u.id * 16 + m", 54)} * 7)::int END,
                '', n.at,
                CASE WHEN {rnd("u.id * 16 + m", 52)} >= 0.1 THEN n.at + interval '2 minutes' END,
                CASE WHEN {rnd("u.id * 16 + m", 52)} < 0.1 THEN n.at + interval '1 minute' END,
                NULL, u.id
            FROM accounts_user AS u
            CROSS JOIN generate_series(0, 6) AS m
            CROSS JOIN LATERAL (
                SELECT date_trunc('month', {start}) + m * interval '1 month'
                    + (1 + {rnd("u.id * 16 + m", 55)} * 26) * interval '1 day' AS at
            ) AS n
            WHERE u.id >= {ub} AND u.id < {ub + cc + nn} AND {rnd("u.id * 16 + m", 50)} < 0.25
              AND n.at > u.date_joined AND n.at < {anchor};
            """,
        ),
    ]


def _pool_sql(plan: Plan, *, incremental: bool) -> str:
    """INSERT of the events into the pool: the 26 weeks, or the one incremental day."""
    ub, cc = plan.user_base, plan.coaches
    day_events = plan.events / DAYS
    events = round(day_events) if incremental else plan.events
    salt = 1000 if incremental else 0
    # Visits to draw: enough that, after dropping those before a person joined, the
    # LIMIT still cuts at exactly ``events`` (the series is lazy: the rest is never made).
    visits = math.ceil(events / MEAN_VISIT_EVENTS * 3) + 200
    step_c, step_k = _coprime_step(cc), _coprime_step(plan.clients)
    start = plan.incremental_day if incremental else plan.base_start
    days = 1 if incremental else DAYS
    client_routes, coach_routes = _sql_array(CLIENT_ROUTES), _sql_array(COACH_ROUTES)

    def r(expr: str, n: int) -> str:
        return rnd(expr, salt + n)

    return f"""
    INSERT INTO {POOL_TABLE} (occurred_at, user_id, role, name, route, bucket, incremental)
    SELECT at, user_id, role, name,
        CASE WHEN name <> 'page_view' THEN ''
             WHEN role = 'coach' THEN ({coach_routes})[1 + floor(route_r * {len(COACH_ROUTES)})::int]
             ELSE ({client_routes})[1 + floor(route_r * {len(CLIENT_ROUTES)})::int] END,
        bucket, {str(incremental).lower()}
    FROM (
    SELECT ev.at, v.user_id, v.role, ev.route_r, v.bucket,
        CASE WHEN ev.k = 0 AND ev.r < 0.3 THEN 'sign_in'
             WHEN v.role = 'coach' THEN CASE
                 WHEN ev.r < 0.60 THEN 'page_view' WHEN ev.r < 0.75 THEN 'message_sent'
                 WHEN ev.r < 0.81 THEN 'resource_shared' WHEN ev.r < 0.83 THEN 'resource_uploaded'
                 WHEN ev.r < 0.87 THEN 'booking' WHEN ev.r < 0.88 THEN 'nps_answered'
                 ELSE 'page_view' END
             ELSE CASE
                 WHEN ev.r < 0.62 THEN 'page_view' WHEN ev.r < 0.69 THEN 'checkin'
                 WHEN ev.r < 0.75 THEN 'journal_entry' WHEN ev.r < 0.83 THEN 'message_sent'
                 WHEN ev.r < 0.91 THEN 'resource_opened' WHEN ev.r < 0.94 THEN 'booking'
                 WHEN ev.r < 0.955 THEN 'journal_shared' WHEN ev.r < 0.965 THEN 'goal_created'
                 WHEN ev.r < 0.97 THEN 'nps_answered' ELSE 'page_view' END
        END AS name
    FROM (
        SELECT n, ({ub} + p.idx)::int8 AS user_id, p.role, p.idx % {BUCKETS} AS bucket,
            {r("n", 8)} AS spacing_r,
            1 + floor(11 * {r("n", 9)} ^ 1.7)::int AS events,
            {f"'{start.isoformat()}'::timestamptz"}
                + (CASE WHEN extract(isodow FROM {f"'{start.isoformat()}'::timestamptz"} + p.day * interval '1 day') >= 6
                             AND {r("n", 4)} < 0.4 AND p.day >= 2 THEN p.day - 2 ELSE p.day END) * interval '1 day'
                + (CASE WHEN p.role = 'coach' THEN 6 + floor(6 * ({r("n", 5)} + {r("n", 6)}))
                        ELSE (4 + floor(9 * ({r("n", 5)} + {r("n", 6)})))::int % 24 END) * interval '1 hour'
                + floor(3600 * {r("n", 7)}) * interval '1 second' AS at
        FROM generate_series(1, {visits}) AS n
        CROSS JOIN LATERAL (
            SELECT CASE WHEN {r("n", 1)} < {COACH_VISIT_SHARE}
                        THEN (floor({cc} * {r("n", 2)} ^ 1.5)::int8 * {step_c}) % {cc}
                        ELSE {cc} + (floor({plan.clients} * {r("n", 2)} ^ 2.5)::int8 * {step_k}) % {plan.clients}
                   END AS idx,
                CASE WHEN {r("n", 1)} < {COACH_VISIT_SHARE} THEN 'coach' ELSE 'client' END AS role,
                floor({days} * {r("n", 3)})::int AS day
        ) AS p
    ) AS v
    JOIN accounts_user AS u ON u.id = v.user_id
    CROSS JOIN LATERAL (
        SELECT k, {r("v.n * 16 + k", 10)} AS r, {r("v.n * 16 + k", 12)} AS route_r,
            v.at + (k * (15 + floor(180 * v.spacing_r)) + floor({r("v.n * 16 + k", 11)} * 7)) * interval '1 second' AS at
        FROM generate_series(0, v.events - 1) AS k
    ) AS ev
    WHERE v.at > u.date_joined
    LIMIT {events}
    ) AS e;
    """


def _create_pool(cursor: Any) -> None:
    cursor.execute(
        f"CREATE UNLOGGED TABLE IF NOT EXISTS {POOL_TABLE} ("
        "occurred_at timestamptz NOT NULL, user_id bigint NOT NULL, role varchar(8) NOT NULL, "
        "name varchar(24) NOT NULL, route varchar(80) NOT NULL, bucket smallint NOT NULL, "
        "incremental boolean NOT NULL)"
    )


def pool_fill(plan: Plan) -> int:
    """(Re)generate the event pool; returns its rows."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        _create_pool(cursor)
        cursor.execute(f"TRUNCATE {POOL_TABLE}")
        cursor.execute(_pool_sql(plan, incremental=False))
        cursor.execute(_pool_sql(plan, incremental=True))
        cursor.execute(f"SELECT count(*) FROM {POOL_TABLE}")
        return int(cursor.fetchone()[0])


def pool_ready(dataset: Dataset) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [POOL_TABLE])
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute(f"SELECT count(*) FROM {POOL_TABLE} WHERE NOT incremental")
        return int(cursor.fetchone()[0]) == dataset.events


def _tune(cursor: Any) -> None:
    # Bigger sorts in memory for this transaction only; no synchronous flush per commit.
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute("SET LOCAL synchronous_commit = off")


def events_clear() -> None:
    """Empty the events and everything rolled up from them (the bench database only)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are deferred: checks still pending in an enclosing transaction
        # (a test's) would make TRUNCATE refuse; run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "TRUNCATE analytics_event, analytics_dailyactivity, analytics_kpivalue, "
            "analytics_rollupstate"
        )


def events_load(*, buckets: tuple[int, int] | None = None, incremental: bool = False) -> int:
    """Copy pool events into ``analytics_event`` in time order: the people in
    ``buckets`` [from, to) of the 26 weeks, or the incremental day. Returns rows added."""
    from django.db import connection, transaction

    if incremental:
        where = "incremental"
    else:
        low, high = buckets or (0, BUCKETS)
        where = f"NOT incremental AND bucket >= {int(low)} AND bucket < {int(high)}"
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(
            "INSERT INTO analytics_event (occurred_at, user_id, role, name, route) "
            f"SELECT occurred_at, user_id, role, name, route FROM {POOL_TABLE} WHERE {where} "
            "ORDER BY occurred_at"
        )
        added = int(cursor.rowcount)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_event")
    return added


COUNTED_TABLES = (
    "accounts_user",
    "accounts_coachclient",
    "accounts_invitation",
    "accounts_onboarding",
    "scheduling_session",
    "messaging_conversation",
    "messaging_message",
    "resources_resource",
    "resources_share",
    "resources_resourceview",
    "journal_entry",
    "wellbeing_checkin",
    "analytics_npsresponse",
    "analytics_event",
)


def table_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in COUNTED_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = int(cursor.fetchone()[0])
    return counts


def dataset_generate(scale: float, *, anchor: date | None = None, log: Any = None) -> Dataset:
    """Create the data set (all but the rows of ``analytics_event``, which ``events_load``
    copies from the pool) and write the marker. Raises ``DatasetError`` when the
    database already holds another scale or ciphertext of another key."""
    from django.db import connection, transaction

    from loom.core.context import system_context
    from loom.core.crypto import encrypt_text

    if connection.vendor != "postgresql":
        raise DatasetError("the analytics data set needs PostgreSQL (DATABASE_URL=postgres://…)")
    existing = dataset_read()
    if existing is not None:
        state, dataset = existing
        if abs(dataset.scale - scale) > 1e-9:
            raise DatasetError(
                f"this database holds the analytics data set at scale {dataset.scale:g}, not "
                f"{scale:g}: use BENCH_ANALYTICS_SCALE={dataset.scale:g}, another database, "
                "or drop this one"
            )
        if dataset.key_fingerprint != key_fingerprint():
            raise DatasetError(
                "the analytics data set was encrypted with other FIELD_ENCRYPTION_KEYS: "
                "use the same keys, another database, or drop this one"
            )
        if state == "ready":
            return dataset
        raise DatasetError(
            f"the analytics data set in this database is incomplete (state {state!r}): "
            "generation was interrupted; drop the database and run again"
        )
    say = log or (lambda _message: None)
    plan = plan_for(scale, anchor=anchor or datetime.now(UTC).date())
    started = time.perf_counter()
    steps: dict[str, float] = {}
    # One fixed ciphertext for every journal title and body: what the page would decrypt.
    ciphertext = encrypt_text("A bench journal entry: a few calm lines about the day.")
    with system_context():
        with transaction.atomic(), connection.cursor() as cursor:
            _tune(cursor)
            _ensure_marker_table(cursor)
            cursor.execute("LOCK TABLE accounts_user IN SHARE ROW EXCLUSIVE MODE")
            plan = _allocate(cursor, plan)
            placeholder = Dataset(
                scale=scale,
                anchor=plan.anchor.isoformat(),
                user_base=plan.user_base,
                coaches=plan.coaches,
                clients=plan.clients,
                events=plan.events,
                key_fingerprint=key_fingerprint(),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                generation_s=0.0,
            )
            _marker_write(cursor, "generating", placeholder)
            for label, sql in _statements(plan, ciphertext):
                step_start = time.perf_counter()
                cursor.execute(sql)
                steps[label] = round(time.perf_counter() - step_start, 2)
                say(f"  {label}: {steps[label]:.1f} s")
        step_start = time.perf_counter()
        pool_rows = pool_fill(plan)
        steps["event_pool"] = round(time.perf_counter() - step_start, 2)
        say(f"  event pool ({pool_rows} rows): {steps['event_pool']:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        dataset = Dataset(
            **{
                **placeholder.to_json(),
                "generation_s": round(time.perf_counter() - started, 2),
                "steps_s": steps,
                "counts": table_counts(),
            }
        )
        with transaction.atomic(), connection.cursor() as cursor:
            _marker_write(cursor, "ready", dataset)
    return dataset


def plan_of(dataset: Dataset) -> Plan:
    """The plan a stored data set was made with (for regenerating its event pool)."""
    from django.db import connection

    plan = plan_for(dataset.scale, anchor=date.fromisoformat(dataset.anchor))
    with connection.cursor() as cursor:
        bases = {}
        for key, table, column, value in (
            ("type_base", "scheduling_sessiontype", "coach_id", dataset.user_base),
            ("conversation_base", "messaging_conversation", "coach_id", dataset.user_base),
            ("resource_base", "resources_resource", "coach_id", dataset.user_base),
        ):
            cursor.execute(
                f"SELECT COALESCE(min(id), 0) FROM {table} WHERE {column} >= %s AND {column} < %s",
                [value, value + dataset.coaches],
            )
            bases[key] = (int(cursor.fetchone()[0]) // 1000) * 1000
    return Plan(**{**asdict(plan), "user_base": dataset.user_base, **bases})
