"""safety_check: signals, consent, coach alerts, de-duplication, helplines by region."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from loom.accounts.models import ClientProfile, CoachClient, CrisisSignal
from loom.accounts.safety import (
    CrisisLine,
    CrisisOut,
    CrisisOutcome,
    crisis_lines_for,
    crisis_region,
    region_for_timezone,
    safety_check,
)
from loom.core.context import system_context
from loom.core.models import AuditLog, OutboxMessage

pytestmark = pytest.mark.django_db

SECRET = "I want to kill myself because of zebraquartz"


def _consent(user: Any) -> None:
    ClientProfile.objects.filter(user=user).update(crisis_contact_consent_at=timezone.now())


def _notices() -> list[dict[str, Any]]:
    with system_context():
        return [
            row.payload for row in OutboxMessage.objects.filter(channel="notice").order_by("pk")
        ]


def _signals() -> list[CrisisSignal]:
    with system_context():
        return list(CrisisSignal.objects.order_by("pk"))


def _check(world: Any, text: str = SECRET, *, source_id: int = 1, client: Any = None) -> Any:
    with transaction.atomic():
        return safety_check(
            client=client or world.noa, text=text, source="journal_entry", source_id=source_id
        )


def test_no_crisis_language_does_nothing(world: Any) -> None:
    assert _check(world, "A good day at the park") is None
    assert _signals() == []
    assert _notices() == []


def test_without_consent_a_signal_is_kept_but_no_coach_is_told(world: Any) -> None:
    outcome = _check(world)
    assert isinstance(outcome, CrisisOutcome)
    assert outcome.severity == "high"
    assert outcome.coaches_notified == 0
    assert outcome.lines and all(isinstance(line, CrisisLine) for line in outcome.lines)
    (signal,) = _signals()
    assert signal.pk == outcome.signal_id
    assert signal.consent is False
    assert signal.coaches_notified == 0
    assert signal.matched == ["en.intent"]
    assert _notices() == []


def test_with_consent_each_active_coach_gets_an_urgent_alert_without_the_text(world: Any) -> None:
    _consent(world.noa)
    # A second, archived coach of Noa's is not told.
    CoachClient.objects.create(
        coach=world.eli, client=world.noa, status=CoachClient.Status.ARCHIVED
    )
    outcome = _check(world)
    assert outcome.coaches_notified == 1
    (notice,) = _notices()
    assert notice["user_id"] == world.dana.pk
    assert notice["kind"] == "crisis_alert"
    assert notice["urgent"] is True
    assert "Noa" in notice["body"] and "reaching out" in notice["body"]
    assert notice["url"] == f"/coach/clients/{world.noa.pk}/"
    dumped = json.dumps(notice, ensure_ascii=False)
    assert "zebraquartz" not in dumped and "myself" not in dumped
    (signal,) = _signals()
    assert signal.consent is True and signal.coaches_notified == 1


def test_alert_is_in_the_coachs_language(world: Any) -> None:
    _consent(world.maya)
    _check(world, client=world.maya)
    (notice,) = _notices()
    assert notice["user_id"] == world.eli.pk
    assert notice["email"]["language"] == "he"


def test_inactive_coach_is_not_told(world: Any) -> None:
    _consent(world.noa)
    world.dana.is_active = False
    world.dana.save(update_fields=["is_active"])
    assert _check(world).coaches_notified == 0


def test_an_edit_at_the_same_or_lower_severity_does_not_alert_again(world: Any) -> None:
    _consent(world.noa)
    first = _check(world)
    again = _check(world, "Edited: I want to kill myself")
    lower = _check(world, "Edited again: I want to die")
    assert again.signal_id == first.signal_id == lower.signal_id
    assert again.coaches_notified == lower.coaches_notified == 0
    assert len(_signals()) == 1
    assert len(_notices()) == 1


def test_a_higher_severity_on_edit_alerts_again(world: Any) -> None:
    _consent(world.noa)
    first = _check(world, "I want to die")
    worse = _check(world, "I'm going to kill myself tonight")
    assert worse.signal_id != first.signal_id
    assert worse.severity == "imminent"
    assert len(_notices()) == 2


def test_another_source_is_a_new_signal(world: Any) -> None:
    _check(world, source_id=1)
    _check(world, source_id=2)
    assert len(_signals()) == 2


def test_signals_hold_no_text(world: Any) -> None:
    _check(world)
    with system_context():
        row = CrisisSignal.objects.values().get()
    assert "myself" not in json.dumps(row, default=str)
    assert "zebraquartz" not in json.dumps(row, default=str)


def test_a_coach_writing_is_not_scanned(world: Any) -> None:
    assert _check(world, client=world.dana) is None
    assert _signals() == []


def test_rolled_back_save_leaves_no_signal_and_sends_nothing(world: Any) -> None:
    _consent(world.noa)
    with pytest.raises(RuntimeError), transaction.atomic():
        safety_check(client=world.noa, text=SECRET, source="checkin", source_id=9)
        raise RuntimeError
    assert _signals() == []
    assert _notices() == []


def test_unknown_source_is_refused(world: Any) -> None:
    with pytest.raises(ValueError):
        safety_check(client=world.noa, text=SECRET, source="nope", source_id=1)


def test_crisis_out_schema(world: Any) -> None:
    outcome = _check(world)
    out = CrisisOut.from_outcome(outcome)
    assert out is not None
    data = out.model_dump()
    assert data["severity"] == "high"
    assert set(data["lines"][0]) == {"name", "phone", "sms", "url", "hours", "description"}
    assert CrisisOut.from_outcome(None) is None


# --- Regions and helplines -----------------------------------------------------------------


def test_region_from_time_zone() -> None:
    assert region_for_timezone("Asia/Jerusalem") == "IL"
    assert region_for_timezone("America/New_York") == "US"
    assert region_for_timezone("US/Pacific") == "US"
    assert region_for_timezone("Europe/London") == "GB"
    assert region_for_timezone("UTC") == ""


def test_lines_by_region(world: Any) -> None:
    assert crisis_region(world.noa) == "IL"
    assert any(line.phone == "1201" for line in crisis_lines_for(world.noa))
    assert crisis_region(world.dana) == "US"
    assert any(line.phone == "988" for line in crisis_lines_for(world.dana))
    # Admin is in UTC: no country, no default region → international.
    assert crisis_region(world.admin) == "intl"
    assert crisis_lines_for(world.admin)[0].url == "https://findahelpline.com"


def test_default_region_setting(world: Any, settings: Any) -> None:
    settings.CRISIS_DEFAULT_REGION = "GB"
    assert crisis_region(world.admin) == "GB"
    # A zone with configured lines still wins.
    assert crisis_region(world.noa) == "IL"


def test_configured_lines_replace_the_defaults(world: Any, settings: Any) -> None:
    settings.CRISIS_LINES = {
        "IL": {"emergency": "101", "lines": [{"name": "Test line", "phone": "+972 1"}]},
        "intl": {"lines": [{"name": "Anywhere", "url": "https://example.org"}]},
    }
    assert [line.name for line in crisis_lines_for(world.noa)] == ["Test line"]
    assert crisis_lines_for(world.noa)[0].tel_href == "tel:+9721"
    assert [line.name for line in crisis_lines_for(world.dana)] == ["Anywhere"]


def test_lines_are_translated(world: Any) -> None:
    from django.utils import translation

    with translation.override("he"):
        names = [line.name for line in crisis_lines_for(world.noa)]
    assert names  # translated when the catalog has them; never empty


def test_crisis_lines_json_env_is_parsed(tmp_path: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.base import _crisis_lines

    assert _crisis_lines("") == {}
    assert _crisis_lines('{"US": {"lines": []}}') == {"US": {"lines": []}}
    path = tmp_path / "lines.json"
    path.write_text('{"IL": {"emergency": "101", "lines": []}}', "utf-8")
    assert _crisis_lines(str(path))["IL"]["emergency"] == "101"
    with pytest.raises(ImproperlyConfigured):
        _crisis_lines("{not json")


def test_consent_change_is_audited(world: Any) -> None:
    from loom.accounts.safety import crisis_consent_set

    with transaction.atomic():
        crisis_consent_set(client=world.noa, consent=True)
        crisis_consent_set(client=world.noa, consent=True)  # no change, no row
        crisis_consent_set(client=world.noa, consent=False)
    with system_context():
        rows = list(
            AuditLog.objects.filter(action="safety.consent_changed")
            .order_by("pk")
            .values_list("details", flat=True)
        )
    assert rows == [{"consent": True}, {"consent": False}]
