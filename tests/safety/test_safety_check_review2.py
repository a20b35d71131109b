"""R2: consent given after a first signal is honoured on the next save of that text."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from loom.accounts.models import ClientProfile, CrisisSignal
from loom.accounts.safety import safety_check
from loom.core.context import system_context
from loom.core.models import OutboxMessage

pytestmark = pytest.mark.django_db

TEXT = "I want to kill myself"


def _check(world: Any, text: str = TEXT) -> Any:
    with transaction.atomic():
        return safety_check(client=world.noa, text=text, source="checkin", source_id=7)


def _alerts() -> int:
    with system_context():
        return OutboxMessage.objects.filter(channel="notice", payload__kind="crisis_alert").count()


def test_an_edit_after_consent_alerts_the_coach_once(world: Any) -> None:
    first = _check(world)
    assert first.coaches_notified == 0 and _alerts() == 0
    ClientProfile.objects.filter(user=world.noa).update(crisis_contact_consent_at=timezone.now())
    edited = _check(world, "Edited: " + TEXT)
    # The first signal told nobody (no consent then); now the coach is told.
    assert edited.coaches_notified == 1
    assert _alerts() == 1
    # A further edit at the same severity does not alert again.
    again = _check(world, "Edited twice: " + TEXT)
    assert again.coaches_notified == 0 and again.signal_id == edited.signal_id
    assert _alerts() == 1
    with system_context():
        assert CrisisSignal.objects.count() == 2


def test_without_consent_an_edit_adds_no_second_signal(world: Any) -> None:
    first = _check(world)
    again = _check(world, "Edited: " + TEXT)
    assert again.signal_id == first.signal_id
    with system_context():
        assert CrisisSignal.objects.count() == 1


def test_a_site_list_without_intl_keeps_the_built_in_international_lines(settings) -> None:
    from types import SimpleNamespace

    from loom.accounts.safety import DEFAULT_CRISIS_LINES, crisis_lines_for

    settings.CRISIS_LINES = {"US": DEFAULT_CRISIS_LINES["US"]}
    lines = crisis_lines_for(SimpleNamespace(timezone="Asia/Tokyo"))
    assert [line.url for line in lines] == [
        str(line.get("url") or "") for line in DEFAULT_CRISIS_LINES["intl"]["lines"]
    ]
