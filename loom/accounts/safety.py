"""The crisis safety net: what happens when a client's words suggest they may be in crisis.

``safety_check`` is called by the journal and check-in services inside the transaction
that saved the client's text. It runs ``loom.core.crisis.crisis_scan`` and, on a match:

* writes a ``CrisisSignal`` for admins to review — which phrase groups matched and how
  severe, never the text (written in the system context: a client's own request may
  neither forge nor hide one, and RLS lets only admins read them);
* when the client has agreed (``ClientProfile.crisis_contact_consent_at``), tells each
  of their active coaches at once with an urgent "crisis_alert" notice in the coach's
  language — that the client may be in crisis and to reach out, never what was written;
* returns a ``CrisisOutcome`` with the helplines for the client's region, so the view
  can show the support panel (``crisis_flash``) and the API its ``crisis`` field.

Editing the same entry again at the same or a lower severity neither writes another
signal nor tells the coaches again; a higher severity does both.

Helplines come from ``settings.CRISIS_LINES`` (or ``CRISIS_LINES_JSON``; empty means the
built-in ``DEFAULT_CRISIS_LINES``), by region: the country of the user's time zone
(``zone.tab``), then ``CRISIS_DEFAULT_REGION``, then "intl".
"""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Schema

from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    CrisisSignal,
    Language,
    Role,
    User,
)
from loom.core.context import system_context
from loom.core.crisis import CrisisMatch, crisis_scan, severity_rank
from loom.core.email import email_payload
from loom.core.notices import Notice, notice_send

SESSION_KEY = "loom_crisis"
INTERNATIONAL = "intl"


@dataclass(frozen=True)
class CrisisLine:
    """One place to get help. Empty strings for what a line does not offer."""

    name: str
    phone: str = ""
    sms: str = ""
    url: str = ""
    hours: str = ""
    description: str = ""

    @property
    def tel_href(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")

    @property
    def sms_href(self) -> str:
        return "sms:" + "".join(c for c in self.sms if c.isdigit() or c == "+")


@dataclass(frozen=True)
class CrisisOutcome:
    """What the safety net did about one piece of text."""

    severity: str
    lines: tuple[CrisisLine, ...]
    signal_id: int
    coaches_notified: int


class CrisisLineOut(Schema):
    name: str
    phone: str
    sms: str
    url: str
    hours: str
    description: str


class CrisisOut(Schema):
    """The API's ``crisis`` field: show these helplines to the person now."""

    severity: str
    lines: list[CrisisLineOut]

    @staticmethod
    def from_outcome(outcome: CrisisOutcome | None) -> CrisisOut | None:
        if outcome is None:
            return None
        return CrisisOut(
            severity=outcome.severity,
            lines=[CrisisLineOut(**line.__dict__) for line in outcome.lines],
        )


# --- Helplines -------------------------------------------------------------------------------
# Only facts checked against the services' own sites (2026-11); a line whose details
# were not certain is left out rather than guessed. Words are translatable; numbers
# and addresses are not.

DEFAULT_CRISIS_LINES: dict[str, dict[str, Any]] = {
    "US": {
        "emergency": "911",
        "lines": [
            {
                "name": _("988 Suicide & Crisis Lifeline"),
                "phone": "988",
                "sms": "988",
                "url": "https://988lifeline.org",
                "hours": _("24 hours a day, 7 days a week"),
                "description": _("Call or text 988, or chat online. Free and confidential."),
            },
            {
                "name": _("Crisis Text Line"),
                "sms": "741741",
                "url": "https://www.crisistextline.org",
                "hours": _("24 hours a day, 7 days a week"),
                "description": _("Text HOME to 741741 to reach a trained crisis counselor."),
            },
        ],
    },
    "IL": {
        "emergency": "101",
        "lines": [
            {
                "name": _("ERAN — emotional first aid"),
                "phone": "1201",
                "url": "https://www.eran.org.il",
                "hours": _("24 hours a day, 7 days a week"),
                "description": _(
                    "Call 1201 to talk to a trained listener, or chat on the website."
                ),
            },
            {
                "name": _("SAHAR — support and listening online"),
                "url": "https://sahar.org.il",
                "description": _("Anonymous online chat. See the website for opening hours."),
            },
        ],
    },
    "GB": {
        "emergency": "999",
        "lines": [
            {
                "name": _("Samaritans"),
                "phone": "116 123",
                "url": "https://www.samaritans.org",
                "hours": _("24 hours a day, 7 days a week"),
                "description": _("Call 116 123 free, from any phone, to talk to someone."),
            },
        ],
    },
    INTERNATIONAL: {
        "emergency": "112",
        "lines": [
            {
                "name": _("Find a Helpline"),
                "url": "https://findahelpline.com",
                "description": _("Free, confidential helplines in your country."),
            },
        ],
    },
}

# Region names shown on the crisis lines page (a configured region without one shows its code).
REGION_NAMES: dict[str, Any] = {
    "US": _("United States"),
    "IL": _("Israel"),
    "GB": _("United Kingdom"),
    INTERNATIONAL: _("Anywhere in the world"),
}

_EMERGENCY_NAMES: dict[str, Any] = {
    "101": _("Magen David Adom"),
}


def _table() -> Mapping[str, Mapping[str, Any]]:
    configured = getattr(settings, "CRISIS_LINES", None)
    table = configured or DEFAULT_CRISIS_LINES
    if not isinstance(table, Mapping) or not all(
        isinstance(v, Mapping) and isinstance(v.get("lines", []), Sequence) for v in table.values()
    ):
        raise ImproperlyConfigured(
            'CRISIS_LINES must map a region to {"emergency": "…", "lines": [{"name": …}, …]}.'
        )
    if INTERNATIONAL not in table:
        # Everyone outside the configured regions falls back to "intl": a site's own list
        # without it keeps the built-in international lines rather than failing a save.
        table = {**table, INTERNATIONAL: DEFAULT_CRISIS_LINES[INTERNATIONAL]}
    return table


def _line(data: Mapping[str, Any]) -> CrisisLine:
    if not isinstance(data, Mapping) or not data.get("name"):
        raise ImproperlyConfigured("Every entry of CRISIS_LINES needs at least a name.")

    # Translated when shown: a lazy default, or a configured string that matches a msgid.
    def text(key: str) -> str:
        value = data.get(key) or ""
        return gettext(str(value)) if value else ""

    return CrisisLine(
        name=text("name"),
        phone=str(data.get("phone") or ""),
        sms=str(data.get("sms") or ""),
        url=str(data.get("url") or ""),
        hours=text("hours"),
        description=text("description"),
    )


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Time zone name → ISO country code, from zone.tab (tzdata package, else the system)."""
    sources: list[str] = []
    with contextlib.suppress(ModuleNotFoundError, OSError):
        sources.append(
            importlib.resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text("utf-8")
        )
    system = Path("/usr/share/zoneinfo/zone.tab")
    if not sources and system.exists():
        sources.append(system.read_text("utf-8"))
    found: dict[str, str] = {}
    for source in sources:
        for row in source.splitlines():
            if row.startswith("#") or not row.strip():
                continue
            parts = row.split("\t")
            if len(parts) >= 3:
                found[parts[2].strip()] = parts[0].strip().upper()
    # Old names still in use that zone.tab (canonical zones only) does not list.
    found.update({"Israel": "IL", "Asia/Tel_Aviv": "IL", "GB": "GB", "Europe/Belfast": "GB"})
    return found


def region_for_timezone(zone: str) -> str:
    """The country of ``zone`` ("Asia/Jerusalem" → "IL"), or "" when it has none."""
    if zone.startswith("US/"):
        return "US"
    return _zone_countries().get(zone, "")


def crisis_region(user: Any) -> str:
    """The region whose helplines ``user`` sees: their zone's country when configured,
    else ``CRISIS_DEFAULT_REGION`` when configured, else "intl"."""
    table = _table()
    zone = getattr(user, "timezone", "") or ""
    for region in (region_for_timezone(zone), str(getattr(settings, "CRISIS_DEFAULT_REGION", ""))):
        if region and region.upper() in table:
            return region.upper()
    return INTERNATIONAL


def crisis_lines_for(user: Any) -> tuple[CrisisLine, ...]:
    """The helplines for ``user``'s region, in the active language.

    Works for anyone, signed out included (their region is the default one).
    """
    return tuple(_line(data) for data in _table()[crisis_region(user)].get("lines", ()))


@dataclass(frozen=True)
class RegionLines:
    region: str
    name: str
    emergency: str
    emergency_name: str
    lines: tuple[CrisisLine, ...]


def region_lines(region: str) -> RegionLines:
    data = _table().get(region) or _table().get(INTERNATIONAL) or {}
    emergency = str(data.get("emergency") or "")
    name = _EMERGENCY_NAMES.get(emergency)
    return RegionLines(
        region=region,
        name=str(REGION_NAMES.get(region, region)),
        emergency=emergency,
        emergency_name=str(name) if name else "",
        lines=tuple(_line(line) for line in data.get("lines", ())),
    )


def all_regions(first: str) -> list[RegionLines]:
    """Every configured region, ``first`` first and "intl" last."""
    order = sorted(_table(), key=lambda r: (r != first, r == INTERNATIONAL, r))
    return [region_lines(region) for region in order]


# --- The check -------------------------------------------------------------------------------


def _coach_alert(*, coach: User, client: User, signal: CrisisSignal) -> None:
    language = coach.language if coach.language in Language.values else settings.LANGUAGE_CODE
    path = reverse("coach:client", args=[client.pk])
    with translation.override(language):
        title = gettext("%(client)s may need support now") % {"client": client.display_name}
        body = gettext(
            "%(client)s wrote something that suggests they may be in crisis. "
            "Consider reaching out now."
        ) % {"client": client.display_name}
    email = email_payload(
        template="accounts/email/crisis_alert",
        context={
            "user_name": coach.display_name,
            "subject_line": title,
            "lead": body,
            "url": settings.LOOM_BASE_URL.rstrip("/") + path,
        },
        language=language,
        time_zone=coach.timezone,
    )
    notice_send(
        Notice(
            user_id=coach.pk,
            kind="crisis_alert",
            source=f"crisis:{signal.pk}:{coach.pk}",
            title=title[:200],
            body=body,
            url=path,
            email=email,
            urgent=True,
        )
    )


def safety_check(*, client: Any, text: str, source: str, source_id: int) -> CrisisOutcome | None:
    """Scan ``text`` that ``client`` just wrote; on a match record it, alert consenting
    clients' coaches and return what to show. Call inside the saving transaction.

    Returns None when nothing was found or ``client`` is not a client.
    """
    if getattr(client, "role", None) != Role.CLIENT or not isinstance(text, str):
        return None
    if source not in CrisisSignal.Source.values:
        raise ValueError(f"Unknown crisis signal source {source!r}.")
    match: CrisisMatch | None = crisis_scan(text)
    if match is None:
        return None
    lines = crisis_lines_for(client)
    # System context: the signal table is closed to the client's own role (RLS), and
    # the consent and coach lookups must not depend on what the client may read.
    with system_context():
        consent = ClientProfile.objects.filter(
            user=client, crisis_contact_consent_at__isnull=False
        ).exists()
        earlier = (
            CrisisSignal.objects.filter(client=client, source=source, source_id=source_id)
            .order_by("-detected_at", "-pk")
            .values_list("pk", "severity", "consent")
        )
        for pk, severity, had_consent in earlier:
            # An edit of text already flagged at least as urgently: no new alert — unless
            # that signal was recorded before the client consented and they have since.
            if severity_rank(severity) >= severity_rank(match.severity) and (
                had_consent or not consent
            ):
                return CrisisOutcome(
                    severity=match.severity, lines=lines, signal_id=pk, coaches_notified=0
                )
        coaches: list[User] = []
        if consent:
            coaches = list(
                User.objects.filter(
                    is_active=True,
                    role=Role.COACH,
                    client_links__client=client,
                    client_links__status=CoachClient.Status.ACTIVE,
                ).order_by("pk")
            )
        signal = CrisisSignal.objects.create(
            client=client,
            source=source,
            source_id=source_id,
            severity=match.severity,
            matched=list(match.groups),
            language=match.language,
            coaches_notified=len(coaches),
            consent=consent,
        )
        for coach in coaches:
            _coach_alert(coach=coach, client=client, signal=signal)
    return CrisisOutcome(
        severity=match.severity, lines=lines, signal_id=signal.pk, coaches_notified=len(coaches)
    )


# --- Showing the panel on the next page ------------------------------------------------------


def crisis_flash(request: HttpRequest, outcome: CrisisOutcome | None) -> None:
    """Show the support panel on the next full page ``request``'s user sees."""
    if outcome is None:
        return
    request.session[SESSION_KEY] = {"severity": outcome.severity}


@dataclass(frozen=True)
class CrisisPanel:
    severity: str
    region: RegionLines


def crisis_panel_take(request: HttpRequest) -> CrisisPanel | None:
    """The flashed panel, once: reading it clears it."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return None
    data = session.pop(SESSION_KEY, None) or {}
    user = getattr(request, "user", None) or AnonymousUser()
    return CrisisPanel(
        severity=str(data.get("severity", "")), region=region_lines(crisis_region(user))
    )


# --- Consent ---------------------------------------------------------------------------------


def crisis_consent_set(*, client: User, consent: bool) -> ClientProfile:
    """Record whether ``client`` agrees that their coaches are told at once (audited
    "safety.consent_changed" when it changes). Call inside a transaction."""
    from loom.core.audit import audit_record

    profile, _created = ClientProfile.objects.select_for_update().get_or_create(user=client)
    had = profile.crisis_contact_consent_at is not None
    if had == consent:
        return profile
    profile.crisis_contact_consent_at = timezone.now() if consent else None
    profile.save(update_fields=["crisis_contact_consent_at", "updated_at"])
    audit_record(
        action="safety.consent_changed",
        actor=client,
        target=profile,
        details={"consent": consent},
    )
    return profile


@transaction.atomic
def onboarding_consent_with_crisis_contact(
    *, user: User, crisis_contact: bool, ip_address: str | None
) -> None:
    """The client's consent step: terms and privacy accepted, and the crisis-contact choice."""
    from loom.accounts import services

    services.onboarding_consent(user=user, accepted=True, ip_address=ip_address)
    crisis_consent_set(client=user, consent=crisis_contact)


@transaction.atomic
def onboarding_intake_with_crisis_contact(
    *, user: User, goals: str, reason: str, crisis_contact: bool
) -> None:
    """The client's intake step, with the crisis-contact choice (see ``OnboardingIntakeForm``)."""
    from loom.accounts import services

    services.onboarding_intake(user=user, goals=goals, reason=reason)
    crisis_consent_set(client=user, consent=crisis_contact)


# --- Admin review ----------------------------------------------------------------------------

REVIEW_FILTERS = ("unreviewed", "all")


def crisis_signals_for_admin(*, admin: User, status: str = "unreviewed") -> Any:
    """Signals for the review page, newest first (client and reviewer joined: one query).

    Admins only; under RLS the policy also admits only active admins.
    """
    if not getattr(admin, "is_admin", False):
        return CrisisSignal.objects.none()
    signals = CrisisSignal.objects.select_related("client", "reviewed_by").order_by(
        "-detected_at", "-pk"
    )
    if status != "all":
        signals = signals.filter(reviewed_at__isnull=True)
    return signals


@transaction.atomic
def crisis_signal_review(*, admin: User, signal_id: int, note: str = "") -> CrisisSignal:
    """Mark a signal reviewed with an optional note (audited "safety.signal_reviewed").

    Reviewing again replaces the note and time. Raises ``CrisisSignal.DoesNotExist``
    for an unknown id or a non-admin.
    """
    from loom.core.audit import audit_record

    if not getattr(admin, "is_admin", False):
        raise CrisisSignal.DoesNotExist
    note = (note or "").strip()
    if len(note) > REVIEW_NOTE_MAX:
        raise ValueError("note too long")
    signal = CrisisSignal.objects.select_for_update().get(pk=signal_id)
    signal.reviewed_at = timezone.now()
    signal.reviewed_by = admin
    signal.review_note = note
    signal.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    audit_record(
        action="safety.signal_reviewed",
        actor=admin,
        target=signal,
        details={"client_id": signal.client_id, "severity": signal.severity},
    )
    return signal


REVIEW_NOTE_MAX = 2000
