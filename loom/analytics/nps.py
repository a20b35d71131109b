"""The NPS survey: who is asked and when, answering and dismissing, and the admin figures.

Who is asked (one survey per person per *period*, their local calendar month):

* **After a session** (trigger ``session``): a client — the one-to-one client or a
  holder of a taken seat — whose session was marked completed within the last
  ``SESSION_WINDOW``, who has no answer or dismissal this period and was never asked
  about that session before (one survey per session, also across a month's turn). The
  survey names that session.
* **Monthly** (trigger ``monthly``): coaches and clients whose account is at least
  ``MONTHLY_MIN_ACCOUNT_AGE`` old and who have had no survey this period, from the
  ``MONTHLY_FROM_DAY`` of their local month, so the post-session survey has the first
  chance.
* Never admins, inactive accounts or people whose onboarding is not finished.

A ``NpsResponse`` row is written only when the person answers or dismisses; the unique
(user, period) constraint is what makes "never shown twice in a period" hold, against
replays and double submits too.

NPS = % promoters (9–10) − % detractors (0–6) of the answers; ``nps_score`` is the one
formula, used here and by the KPI engine.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import Onboarding, Role, User
from loom.accounts.timezones import zone_named
from loom.analytics.models import NpsResponse, NpsTrigger
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.scheduling.models import (
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionStatus,
)

SESSION_WINDOW = timedelta(days=7)
MONTHLY_MIN_ACCOUNT_AGE = timedelta(days=14)
MONTHLY_FROM_DAY = 15
# A monthly survey shown before the person's midnight at the month's end and sent just
# after it still counts, for the month it was shown in (``_answer_period``).
MONTH_TURN_GRACE = timedelta(hours=1)
COMMENT_MAX = 1000
SCORES = range(0, 11)
SURVEY_ROLES = frozenset({Role.COACH, Role.CLIENT})
# The offer is cached per person: the context processor runs on every page. Answering,
# dismissing and a session being completed forget it at once; the TTL only bounds how
# long a change nobody tells us about (an account reaching 14 days) takes to show.
CACHE_SECONDS = 600
RANGES = (30, 90, 365)
DEFAULT_RANGE = 90
RECENT_COMMENTS = 20

Category = Literal["promoter", "passive", "detractor"]
# The category bounds, shared with the KPI engine (``kpi_formulas.nps``) so the survey
# page and the weekly KPI cannot drift apart.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


# --- The formula ---------------------------------------------------------------------------


def score_category(score: int) -> Category:
    """9–10 promoter, 7–8 passive, 0–6 detractor."""
    if score >= PROMOTER_MIN:
        return "promoter"
    if score > DETRACTOR_MAX:
        return "passive"
    return "detractor"


def nps_score(
    promoters: int | float, passives: int | float, detractors: int | float
) -> float | None:
    """Net Promoter Score: % promoters − % detractors, from −100 to 100; ``None`` with no
    answers (an empty period has no score, not a score of 0)."""
    total = promoters + passives + detractors
    if total <= 0:
        return None
    return 100.0 * (promoters - detractors) / total


# --- Errors ----------------------------------------------------------------------------------


class NpsInvalid(DomainError):
    """The answer itself is wrong (score, comment, a session that does not qualify)."""

    code = "nps_invalid"


class NpsNotOffered(DomainError):
    """No survey of this kind is open for the person now."""

    code = "nps_not_offered"


class NpsAlreadyAnswered(Conflict):
    """The person already answered or dismissed this period's survey."""

    code = "nps_already_answered"


def _already_done() -> str:
    return _("You have already answered or closed this month's survey. Thank you!")


class NpsSessionNotFound(NotFound):
    """The session is not one of the person's (or does not exist)."""

    code = "nps_session_not_found"


# --- Who is asked ----------------------------------------------------------------------------


def nps_period(user: User, now: datetime | None = None) -> str:
    """The person's period at ``now``: their local calendar month, "YYYY-MM"."""
    moment = now or timezone.now()
    return moment.astimezone(zone_named(user.timezone)).strftime("%Y-%m")


@dataclass(frozen=True)
class NpsOffer:
    """The survey open for one person now. ``session_*`` only for trigger ``session``."""

    trigger: str
    period: str
    session_id: int | None = None
    session_starts_at: datetime | None = None

    def as_cache(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "period": self.period,
            "session_id": self.session_id,
            "session_starts_at": self.session_starts_at,
        }


def _survey_role(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", "") in SURVEY_ROLES
    )


def _completed_sessions(user: User, now: datetime) -> Any:
    """Completion events, newest first, of sessions ``user`` attended as a client, that
    were marked completed within ``SESSION_WINDOW`` before ``now`` and that they have not
    been surveyed about yet. The last condition matters at a month's turn: a session
    completed on the 28th whose survey was answered (or dismissed) that month is still
    inside the 7 days on the 1st, a new period, and must not be asked about again."""
    attended = Q(session__client_id=user.pk) | Q(
        session__in=Session.objects.filter(
            seats__client_id=user.pk, seats__status=SeatStatus.TAKEN
        ).values("pk")
    )
    return (
        SessionEvent.objects.filter(
            attended,
            kind=SessionEventKind.COMPLETED,
            occurred_at__gt=now - SESSION_WINDOW,
            occurred_at__lte=now,
            session__status=SessionStatus.COMPLETED,
        )
        .exclude(
            Exists(NpsResponse.objects.filter(user_id=user.pk, session_id=OuterRef("session_id")))
        )
        .order_by("-occurred_at", "-id")
        .values("session_id")
    )


def _monthly_due(user: User, now: datetime) -> bool:
    local = now.astimezone(zone_named(user.timezone))
    return local.day >= MONTHLY_FROM_DAY and user.date_joined <= now - MONTHLY_MIN_ACCOUNT_AGE


def _answer_period(user: User, trigger: Any, now: datetime) -> str:
    """The period an answer or dismissal is recorded in: the person's month now, except
    for a monthly survey sent in the first ``MONTH_TURN_GRACE`` of their new month, when
    it is not due yet: the panel was shown before their midnight, so the answer belongs
    to the month that ended (and is accepted if that month has none yet) rather than
    being turned away as "not open" and lost."""
    period = nps_period(user, now)
    if trigger == NpsTrigger.MONTHLY and not _monthly_due(user, now):
        shown = now - MONTH_TURN_GRACE
        if nps_period(user, shown) != period and _monthly_due(user, shown):
            return nps_period(user, shown)
    return period


def nps_offer_for(user: Any, *, now: datetime | None = None) -> NpsOffer | None:
    """The survey open for ``user`` at ``now``, or ``None``. Uncached.

    One query for anyone who might be due (a client always, a coach from the 15th),
    none for the others; a second one only when a session survey is found.
    """
    if not _survey_role(user):
        return None
    now = now or timezone.now()
    period = nps_period(user, now)
    monthly = _monthly_due(user, now)
    is_client = user.role == Role.CLIENT
    if not is_client and not monthly:
        return None
    annotations: dict[str, Any] = {
        "responded": Exists(NpsResponse.objects.filter(user_id=OuterRef("pk"), period=period)),
        "onboarding_open": Exists(
            Onboarding.objects.filter(user_id=OuterRef("pk"), completed_at__isnull=True)
        ),
    }
    if is_client:
        annotations["session_id"] = Subquery(_completed_sessions(user, now)[:1])
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(**annotations)
        .values("responded", "onboarding_open", *(["session_id"] if is_client else []))
        .first()
    )
    if row is None or row["responded"] or row["onboarding_open"]:
        return None
    session_id = row.get("session_id")
    if session_id is not None:
        starts_at = (
            Session.objects.filter(pk=session_id).values_list("starts_at", flat=True).first()
        )
        return NpsOffer(
            trigger=NpsTrigger.SESSION,
            period=period,
            session_id=session_id,
            session_starts_at=starts_at,
        )
    if monthly:
        return NpsOffer(trigger=NpsTrigger.MONTHLY, period=period)
    return None


def _cache_key(user_id: int) -> str:
    return f"analytics:nps:offer:{user_id}"


def _mark_key(user_id: int) -> str:
    return f"analytics:nps:forgotten:{user_id}"


def nps_offer_cached(user: Any, *, now: datetime | None = None) -> NpsOffer | None:
    """``nps_offer_for`` through the cache: no query at all for a person whose answer is
    known (the common case: nothing due). The cached value names the person's local day,
    so the 15th and the first of the month take effect at their local midnight.

    Each entry also carries the person's *forget mark* as it was before the offer was
    worked out (one cache round trip reads both). A page that read the database just
    before an answer committed, and writes its (stale) offer just after the answer's
    ``nps_offer_forget``, writes the old mark: the entry no longer matches and is
    worked out again, instead of offering the survey again for ten minutes.
    """
    if not _survey_role(user):
        return None
    now = now or timezone.now()
    day = now.astimezone(zone_named(user.timezone)).date().isoformat()
    key, mark_key = _cache_key(user.pk), _mark_key(user.pk)
    found = cache.get_many([key, mark_key])
    mark = found.get(mark_key)
    cached = found.get(key)
    if isinstance(cached, dict) and cached.get("day") == day and cached.get("mark") == mark:
        offer = cached.get("offer")
        if not offer:
            return None
        try:
            return NpsOffer(**offer)
        except TypeError:
            pass  # written by another version of this module: work it out again
    offer_found = nps_offer_for(user, now=now)
    cache.set(
        key,
        {"day": day, "mark": mark, "offer": offer_found.as_cache() if offer_found else None},
        CACHE_SECONDS,
    )
    return offer_found


def nps_offer_forget(user_ids: Iterable[int]) -> None:
    """Drop the cached offers of ``user_ids`` (they answered, or a session completed),
    and give them a new forget mark, which outlives any entry written before it."""
    ids = list(user_ids)
    if not ids:
        return
    token = uuid.uuid4().hex
    cache.set_many({_mark_key(user_id): token for user_id in ids}, 2 * CACHE_SECONDS)
    cache.delete_many([_cache_key(user_id) for user_id in ids])


# --- Answering and dismissing ----------------------------------------------------------------


def _clean_score(score: Any) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise NpsInvalid(_("Choose a score from 0 to 10."), code="score")
    return score


def _clean_comment(comment: Any) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise NpsInvalid(_("The comment must be text."), code="comment")
    # A browser counts a line break as one character; it sends it as two (CRLF).
    text = comment.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\x00" in text:
        raise NpsInvalid(
            _("The comment contains characters that cannot be stored."), code="comment"
        )
    if len(text) > COMMENT_MAX:
        raise NpsInvalid(
            _("Keep the comment to %(max)s characters or fewer.") % {"max": COMMENT_MAX},
            code="comment",
        )
    return text


def _check_open(*, user: User, trigger: Any, session_id: Any, now: datetime) -> Session | None:
    """Raise unless a survey of ``trigger`` (for ``session_id``) is open for ``user`` now.

    Each trigger is checked on its own terms rather than against the offer the page
    showed: a session completed while the monthly survey was on screen does not turn a
    good answer away.
    """
    if not _survey_role(user):
        raise NpsNotOffered(_("The survey is only for coaches and clients."), code="role")
    if Onboarding.objects.filter(user_id=user.pk, completed_at__isnull=True).exists():
        raise NpsNotOffered(_("Finish setting up your account first."), code="onboarding")
    if trigger == NpsTrigger.SESSION:
        if user.role != Role.CLIENT:
            raise NpsNotOffered(_("This survey is not open for you right now."), code="trigger")
        if isinstance(session_id, bool) or not isinstance(session_id, int) or session_id <= 0:
            raise NpsInvalid(_("Say which session the answer is about."), code="session")
        session = _session_of_client(user, session_id)
        if NpsResponse.objects.filter(user_id=user.pk, session_id=session.pk).exists():
            # Answered or dismissed in an earlier period: one survey per session.
            raise NpsAlreadyAnswered(
                _("You have already answered the survey about this session. Thank you!")
            )
        if session.status != SessionStatus.COMPLETED or not (
            _completed_sessions(user, now).filter(session_id=session.pk).exists()
        ):
            raise NpsInvalid(
                _("That session was not completed in the last 7 days."), code="session"
            )
        return session
    if trigger == NpsTrigger.MONTHLY:
        if session_id not in (None, ""):
            raise NpsInvalid(_("The monthly survey is not about a session."), code="session")
        if not _monthly_due(user, now) and _answer_period(user, trigger, now) == nps_period(
            user, now
        ):
            raise NpsNotOffered(_("This survey is not open for you right now."), code="trigger")
        return None
    raise NpsInvalid(_("Unknown survey."), code="trigger")


def _session_of_client(user: User, session_id: int) -> Session:
    """The session ``session_id`` when ``user`` is its client or holds a seat; 404 else."""
    session = (
        Session.objects.filter(pk=session_id)
        .filter(
            Q(client_id=user.pk)
            | Q(
                pk__in=Session.objects.filter(
                    seats__client_id=user.pk, seats__status=SeatStatus.TAKEN
                ).values("pk")
            )
        )
        .first()
    )
    if session is None:
        raise NpsSessionNotFound(_("That session is not one of yours."))
    return session


def _record(
    *,
    user: User,
    trigger: str,
    session: Session | None,
    now: datetime,
    score: int | None,
    comment: str,
    period: str,
) -> NpsResponse:
    response = NpsResponse(
        user=user,
        role=user.role,
        language=user.language,
        trigger=trigger,
        session=session,
        period=period,
        score=score,
        comment=comment,
        created_at=now,
        answered_at=now if score is not None else None,
        dismissed_at=now if score is None else None,
    )
    # The callers checked the period first, for a clear answer to a replay; two
    # submits racing past that check meet the unique constraint here.
    try:
        with transaction.atomic():
            response.save(force_insert=True)
    except IntegrityError as exc:
        raise NpsAlreadyAnswered(_already_done()) from exc
    user_id = user.pk
    transaction.on_commit(lambda: nps_offer_forget([user_id]))
    return response


@transaction.atomic
def nps_answer(
    *,
    user: User,
    score: Any,
    comment: Any = "",
    trigger: Any,
    session_id: Any = None,
    now: datetime | None = None,
) -> NpsResponse:
    """Record ``user``'s answer to the survey open for them.

    Raises ``NpsInvalid`` (bad score, comment or session), ``NpsSessionNotFound`` (not
    their session), ``NpsNotOffered`` (no such survey open now) or ``NpsAlreadyAnswered``
    (a replay or a second answer this period); nothing is written then.
    """
    now = now or timezone.now()
    clean_score = _clean_score(score)
    clean_comment = _clean_comment(comment)
    period = _answer_period(user, trigger, now)
    if NpsResponse.objects.filter(user_id=user.pk, period=period).exists():
        raise NpsAlreadyAnswered(_already_done())
    session = _check_open(user=user, trigger=trigger, session_id=session_id, now=now)
    response = _record(
        user=user,
        period=period,
        trigger=str(trigger),
        session=session,
        now=now,
        score=clean_score,
        comment=clean_comment,
    )
    # The product event (nps_answered: who and when, never the score) is recorded by
    # loom.analytics.receivers when answered_at is set.
    return response


@transaction.atomic
def nps_dismiss(
    *,
    user: User,
    trigger: Any,
    session_id: Any = None,
    now: datetime | None = None,
) -> NpsResponse:
    """Record that ``user`` dismissed the survey open for them ("Not now"): it is not
    offered again this period. Same errors as ``nps_answer``."""
    now = now or timezone.now()
    period = _answer_period(user, trigger, now)
    if NpsResponse.objects.filter(user_id=user.pk, period=period).exists():
        raise NpsAlreadyAnswered(_already_done())
    session = _check_open(user=user, trigger=trigger, session_id=session_id, now=now)
    return _record(
        user=user,
        period=period,
        trigger=str(trigger),
        session=session,
        now=now,
        score=None,
        comment="",
    )


# --- The admin page --------------------------------------------------------------------------


def parse_range(raw: Any) -> int | None:
    """``?range=`` of the admin page: one of ``RANGES`` (days), the default when absent,
    ``None`` when garbled (the page answers 400)."""
    if raw in (None, ""):
        return DEFAULT_RANGE
    try:
        value = int(str(raw))
    except ValueError:
        return None
    return value if value in RANGES else None


@dataclass(frozen=True)
class NpsFigures:
    """Answers of one segment, and the NPS they make."""

    key: str
    label: str
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        return nps_score(self.promoters, self.passives, self.detractors)

    def share(self, count: int) -> float | None:
        return 100.0 * count / self.answers if self.answers else None

    @property
    def promoter_share(self) -> float | None:
        return self.share(self.promoters)

    @property
    def passive_share(self) -> float | None:
        return self.share(self.passives)

    @property
    def detractor_share(self) -> float | None:
        return self.share(self.detractors)


@dataclass(frozen=True)
class NpsSegmentGroup:
    key: str
    label: str
    rows: tuple[NpsFigures, ...]


@dataclass(frozen=True)
class NpsSummary:
    days: int
    since: datetime
    overall: NpsFigures
    dismissed: int
    groups: tuple[NpsSegmentGroup, ...]
    distribution: tuple[tuple[int, int], ...]  # (score, answers) for 0..10
    # Per score, its category, for the chart's colours and the table.
    categories: dict[int, Category] = field(default_factory=dict)


def _require_admin(viewer: Any) -> None:
    if not (
        getattr(viewer, "is_authenticated", False)
        and viewer.is_active
        and getattr(viewer, "role", "") == Role.ADMIN
    ):
        raise Forbidden(_("Only admins can see the survey results."))


def _figures(key: str, label: str, scores: Counter[int]) -> NpsFigures:
    counts: Counter[str] = Counter()
    for score, answers in scores.items():
        counts[score_category(score)] += answers
    return NpsFigures(
        key=key,
        label=label,
        promoters=counts["promoter"],
        passives=counts["passive"],
        detractors=counts["detractor"],
    )


def _segment_labels() -> tuple[tuple[str, str, Sequence[tuple[str, str]]], ...]:
    from loom.accounts.models import Language

    return (
        ("role", _("Role"), ((Role.COACH, _("Coaches")), (Role.CLIENT, _("Clients")))),
        (
            "trigger",
            _("When asked"),
            tuple((value, str(label)) for value, label in NpsTrigger.choices),
        ),
        (
            "language",
            _("Language"),
            tuple((value, str(label)) for value, label in Language.choices),
        ),
    )


def nps_summary(*, viewer: Any, days: int, now: datetime | None = None) -> NpsSummary:
    """The survey's figures over the last ``days`` days, for an admin: overall, by role,
    by trigger and by language, and the distribution of scores. One query: the answers
    are counted by (role, trigger, language, score), at most 2 × 2 × 2 × 12 rows."""
    _require_admin(viewer)
    now = now or timezone.now()
    since = now - timedelta(days=days)
    rows = (
        NpsResponse.objects.filter(created_at__gt=since, created_at__lte=now)
        .values("role", "trigger", "language", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    overall: Counter[int] = Counter()
    by: dict[str, dict[str, Counter[int]]] = {"role": {}, "trigger": {}, "language": {}}
    dismissed = 0
    for values_row in rows:
        row: dict[str, Any] = dict(values_row)
        if row["score"] is None:
            dismissed += row["n"]
            continue
        overall[row["score"]] += row["n"]
        for dimension in by:
            by[dimension].setdefault(row[dimension], Counter())[row["score"]] += row["n"]
    groups = []
    for dimension, label, values in _segment_labels():
        found = by[dimension]
        known = [value for value, _label in values]
        segment_rows = [
            _figures(value, value_label, found.get(value, Counter()))
            for value, value_label in values
        ]
        # A value the labels do not know (a language added later) still counts.
        segment_rows += [
            _figures(value, value, found[value]) for value in sorted(found) if value not in known
        ]
        groups.append(NpsSegmentGroup(key=dimension, label=str(label), rows=tuple(segment_rows)))
    return NpsSummary(
        days=days,
        since=since,
        overall=_figures("all", _("Everyone"), overall),
        dismissed=dismissed,
        groups=tuple(groups),
        distribution=tuple((score, overall.get(score, 0)) for score in SCORES),
        categories={score: score_category(score) for score in SCORES},
    )


@dataclass(frozen=True)
class NpsComment:
    """A recent comment, with who wrote it as role and language only (never a name)."""

    answered_at: datetime
    score: int
    role: str
    language: str
    trigger: str
    text: str


def nps_recent_comments(
    *, viewer: Any, days: int, limit: int = RECENT_COMMENTS, now: datetime | None = None
) -> list[NpsComment]:
    """The newest comments in the range, decrypted, for an admin only. One query."""
    _require_admin(viewer)
    now = now or timezone.now()
    since = now - timedelta(days=days)
    rows = (
        NpsResponse.objects.filter(answered_at__gt=since, answered_at__lte=now)
        .exclude(comment="")
        .order_by("-answered_at", "-id")
        .only("answered_at", "score", "role", "language", "trigger", "comment")[:limit]
    )
    return [
        NpsComment(
            answered_at=row.answered_at,  # type: ignore[arg-type]
            score=row.score,  # type: ignore[arg-type]
            role=row.role,
            language=row.language,
            trigger=row.trigger,
            text=row.comment,
        )
        for row in rows
    ]
