"""Helpers for the bad-input tests: hostile values, "nothing was written", "the error is clear".

"Nothing written" is checked on the contents of every table (not only row counts, so
an UPDATE is caught too), with two precise exceptions:

* ``UNTRACKED`` tables change on every request of a signed-in person: Django's
  session row (the session is saved on each request while an allauth sign-in is in
  progress or a message is queued) and allauth's "signed-in devices" row (its
  ``last_seen_at``);
* the audit log may gain rows recording a *refused attempt* (``ATTEMPT_ACTIONS``):
  a failed sign-in, a wrong second-factor code, a throttled request. Existing audit
  rows never change, and no other action may appear.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.http import HttpResponseBase

LONG = "x" * 10_000
NUL = "\x00"


# A valid-looking value with a NUL byte inside, so only the NUL makes it bad.
def with_nul(value: str) -> str:
    return (value[:1] + NUL + value[1:]) if value else NUL


UNTRACKED = frozenset({"sessions.session", "usersessions.usersession"})
ATTEMPT_ACTIONS = frozenset(
    {"auth.sign_in_failed", "mfa.failed", "sms.code_rejected", "throttle.refused"}
)
AUDIT = "core.auditlog"

Snapshot = dict[str, dict[Any, tuple[Any, ...]]]


def snapshot() -> Snapshot:
    """Every row of every managed table, by primary key."""
    state: Snapshot = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in UNTRACKED or not model._meta.managed or model._meta.proxy:
            continue
        state[label] = {row[0]: row for row in _rows(model)}
    return state


def _rows(model: Any) -> list[tuple[Any, ...]]:
    names = [model._meta.pk.attname] + [
        f.attname for f in model._meta.concrete_fields if not f.primary_key
    ]
    return [tuple(row) for row in model._default_manager.order_by("pk").values_list(*names)]


def _audit_action(row: tuple[Any, ...]) -> str:
    return str(row[_columns(AUDIT).index("action")])


def _columns(label: str) -> list[str]:
    model = apps.get_model(label)
    return [model._meta.pk.attname] + [
        f.attname for f in model._meta.concrete_fields if not f.primary_key
    ]


def _only_allowed_columns_differ(
    label: str, old: tuple[Any, ...], new: tuple[Any, ...], allowed: frozenset[str]
) -> bool:
    names = _columns(label)
    return all(a == b or names[i] in allowed for i, (a, b) in enumerate(zip(old, new, strict=True)))


def written_since(
    before: Snapshot, *, counters: dict[str, frozenset[str]] | None = None
) -> dict[str, str]:
    """What changed since ``before``, table by table (empty when nothing was written).

    New audit rows of refused attempts are not changes (see the module docstring), nor
    are updates confined to ``counters`` (table → columns), e.g. the attempt count of
    an SMS code, which a wrong code must raise.
    """
    after = snapshot()
    counters = counters or {}
    changes: dict[str, str] = {}
    for label, rows in after.items():
        old = before.get(label, {})
        added = [pk for pk in rows if pk not in old]
        removed = [pk for pk in old if pk not in rows]
        updated = [
            pk
            for pk in rows
            if pk in old
            and rows[pk] != old[pk]
            and not _only_allowed_columns_differ(
                label, old[pk], rows[pk], counters.get(label, frozenset())
            )
        ]
        if label == AUDIT:
            added = [pk for pk in added if _audit_action(rows[pk]) not in ATTEMPT_ACTIONS]
        if added or removed or updated:
            changes[label] = (
                f"added {[rows[pk] for pk in added][:3]} removed {removed[:3]} "
                f"updated {[(old[pk], rows[pk]) for pk in updated][:3]}"
            )
    return changes


def assert_nothing_written(
    before: Snapshot, what: str = "", *, counters: dict[str, frozenset[str]] | None = None
) -> None:
    changes = written_since(before, counters=counters)
    assert not changes, f"{what}: bad input wrote {changes}"


def new_audit_actions(before: Snapshot) -> list[str]:
    after = snapshot()[AUDIT]
    return [_audit_action(row) for pk, row in after.items() if pk not in before[AUDIT]]


# --- What a clear error looks like ---------------------------------------------------------

# Field errors (components/field.html, allauth's elements), form errors
# (components/form_errors.html) and alerts all carry one of these.
_ERROR_MARKERS = re.compile(
    r'class="field-errors"|form-errors|role="alert"|alert-danger|toast-error'
)
PROBLEM_JSON = "application/problem+json"


def body_text(response: HttpResponseBase) -> str:
    return response.content.decode("utf-8", "replace") if hasattr(response, "content") else ""


def assert_form_error(response: HttpResponseBase, what: str = "") -> None:
    """A page that says what was wrong: status below 500 and an error shown on the page."""
    assert response.status_code < 500, f"{what}: {response.status_code}"
    assert response.status_code not in (301, 302, 303), (
        f"{what}: redirected to {response.get('Location')} as if the input were accepted"
    )
    assert _ERROR_MARKERS.search(body_text(response)), (
        f"{what}: status {response.status_code} but no error is shown"
    )


def assert_refused_page(response: HttpResponseBase, what: str = "") -> None:
    """A 4xx answer (a page of its own, e.g. the 400 or 404 page, or a form with errors)."""
    assert 400 <= response.status_code < 500 or (
        response.status_code == 200 and _ERROR_MARKERS.search(body_text(response))
    ), f"{what}: {response.status_code}"


def assert_problem(
    response: HttpResponseBase, what: str = "", *, status: int | None = None
) -> None:
    """A 4xx problem-details document (RFC 9457)."""
    assert 400 <= response.status_code < 500, (
        f"{what}: {response.status_code} {body_text(response)[:300]}"
    )
    if status is not None:
        assert response.status_code == status, f"{what}: {response.status_code}"
    assert response["Content-Type"].startswith(PROBLEM_JSON), (
        f"{what}: {response['Content-Type']} {body_text(response)[:200]}"
    )
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == response.status_code and body["title"], body
