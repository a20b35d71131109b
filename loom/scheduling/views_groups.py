"""Group session pages: the coach's list and new-session form; the client's list and
group session page; and the seat and waitlist actions behind the groups panel.

Thin views: parse, call one service from ``group_services``, redirect with a message.
A refusal (full, closed, expired offer) is shown as the service's message and nothing
changes. Clients never see another attendee: pages show numbers only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.models import User
from loom.accounts.permissions import client_required, coach_required
from loom.accounts.timezones import zone_named
from loom.core.errors import DomainError
from loom.scheduling import group_services
from loom.scheduling.emails import format_when
from loom.scheduling.forms import SlotChoiceField, slot_choices
from loom.scheduling.group_selectors import (
    client_group_sessions,
    coach_group_sessions,
    get_group_session_for_user,
    get_seat_for_client,
    group_types_for_coach,
    holds_seat,
)
from loom.scheduling.models import Session, SessionType
from loom.scheduling.selectors import local_day_bounds, slots_for_session_type
from loom.scheduling.views_client import slot_picker_days

# Days of slots the new-group-session form offers.
SLOT_DAYS = 14


def _when(session: Session, viewer: User) -> dict[str, str]:
    """The session's time in the viewer's zone, and in the coach's when it differs."""
    own = zone_named(viewer.timezone)
    coach = zone_named(session.coach_timezone)
    return {
        "when": format_when(session.starts_at, session.ends_at, own),
        "coach_when": (
            format_when(session.starts_at, session.ends_at, coach) if coach.key != own.key else ""
        ),
    }


def _error(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """To the page the form was on (same site only), else ``fallback``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


# --- Coach -------------------------------------------------------------------------------------


class GroupTypeForm(forms.Form):
    """Step one of a new group session: the type (one with more than one seat)."""

    type = forms.TypedChoiceField(label=gettext_lazy("Session type"), coerce=int)

    def __init__(self, *args: Any, types: list[SessionType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["type"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (
                kind.pk,
                _("%(name)s (%(seats)d seats, %(minutes)d min)")
                % {
                    "name": kind.name,
                    "seats": kind.capacity,
                    "minutes": kind.duration_minutes,
                },
            )
            for kind in types
        ]


class GroupSlotForm(forms.Form):
    """Step two: one of the offered start times."""

    starts_at = SlotChoiceField(label=gettext_lazy("Time"), any_slot=True)


@coach_required
@require_http_methods(["GET"])
def coach_list(request: HttpRequest) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    types = group_types_for_coach(coach)
    rows = coach_group_sessions(coach)
    tz = zone_named(coach.timezone)
    return TemplateResponse(
        request,
        "scheduling/groups/coach_list.html",
        {
            "rows": [
                {"row": row, "when": format_when(row.session.starts_at, row.session.ends_at, tz)}
                for row in rows
            ],
            "type_form": GroupTypeForm(types=types) if types else None,
        },
    )


@coach_required
@require_http_methods(["GET", "POST"])
def coach_new(request: HttpRequest) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    types = group_types_for_coach(coach)
    if not types:
        messages.info(
            request,
            _("Add a session type with more than one seat first, then create group sessions."),
        )
        return redirect("scheduling_groups:coach_list")
    source = request.POST if request.method == "POST" else request.GET
    type_form = GroupTypeForm(source if "type" in source else None, types=types)
    session_type = None
    if type_form.is_bound and type_form.is_valid():
        session_type = next(k for k in types if k.pk == type_form.cleaned_data["type"])
    slot_form = GroupSlotForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if session_type is not None and slot_form.is_valid():
            try:
                session = group_services.group_session_create(
                    actor=coach,
                    session_type=session_type,
                    starts_at=slot_form.cleaned_data["starts_at"],
                )
            except (DomainError, ValidationError) as exc:
                slot_form.add_error(None, _error(exc))
            else:
                messages.success(
                    request, _("Group session created. Your clients can now take a seat.")
                )
                return redirect("scheduling_coach:detail", session_id=session.pk)
        status = 400
    slot_days: list[Any] = []
    if session_type is not None:
        tz = zone_named(coach.timezone)
        now = timezone.now()
        today = now.astimezone(tz).date()
        _start, end = local_day_bounds(today + timedelta(days=SLOT_DAYS - 1), tz)
        try:
            slots = slots_for_session_type(session_type, start=now, end=end, now=now)
        except DomainError as exc:
            slots = []
            slot_form.add_error(None, _error(exc))
        slot_days = slot_picker_days(slots, viewer_tz=tz, coach_tz=tz)
        # Keeps the choices in step with the grid for the form's own messages.
        field = slot_form.fields["starts_at"]
        assert isinstance(field, SlotChoiceField)
        field.choices = slot_choices(slots, tz)
    return TemplateResponse(
        request,
        "scheduling/groups/coach_new.html",
        {
            "type_form": type_form,
            "session_type": session_type,
            "slot_form": slot_form,
            "slot_days": slot_days,
            "slot_selected": request.POST.get("starts_at", ""),
        },
        status=status,
    )


# --- Client ------------------------------------------------------------------------------------


@client_required
@require_http_methods(["GET"])
def client_list(request: HttpRequest) -> HttpResponse:
    client: User = request.user  # type: ignore[assignment]
    rows = client_group_sessions(client)
    return TemplateResponse(
        request,
        "scheduling/groups/client_list.html",
        {
            "rows": [{"row": row, **_when(row.session, client)} for row in rows],
            "now": timezone.now(),
        },
    )


@client_required
@require_http_methods(["GET"])
def client_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    client: User = request.user  # type: ignore[assignment]
    session = get_group_session_for_user(client, session_id)
    seated = holds_seat(client, session)
    return TemplateResponse(
        request,
        "scheduling/groups/client_detail.html",
        {"session": session, "seated": seated, **_when(session, client)},
    )


def _seat_action(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    client: User = request.user  # type: ignore[assignment]
    session = get_group_session_for_user(client, session_id)
    fallback = reverse("scheduling_groups:client_detail", args=[session.pk])
    try:
        if action == "take":
            group_services.seat_take(actor=client, session=session)
            messages.success(request, _("You have a seat. We emailed you the details."))
        elif action == "join":
            group_services.waitlist_join(actor=client, session=session)
            messages.success(
                request, _("You are on the waitlist. We will email you if a seat frees up.")
            )
        elif action == "leave":
            group_services.waitlist_leave(actor=client, session=session)
            messages.success(request, _("You left the waitlist."))
        else:
            group_services.waitlist_accept(actor=client, session=session)
            messages.success(request, _("The seat is yours. We emailed you the details."))
    except (DomainError, ValidationError) as exc:
        messages.error(request, _error(exc))
    return _back(request, fallback)


@client_required
@require_POST
def seat_take(request: HttpRequest, session_id: int) -> HttpResponse:
    return _seat_action(request, session_id, "take")


@client_required
@require_POST
def waitlist_join(request: HttpRequest, session_id: int) -> HttpResponse:
    return _seat_action(request, session_id, "join")


@client_required
@require_POST
def waitlist_leave(request: HttpRequest, session_id: int) -> HttpResponse:
    return _seat_action(request, session_id, "leave")


@client_required
@require_POST
def waitlist_accept(request: HttpRequest, session_id: int) -> HttpResponse:
    return _seat_action(request, session_id, "accept")


@client_required
@require_POST
def seat_release(request: HttpRequest, seat_id: int) -> HttpResponse:
    client: User = request.user  # type: ignore[assignment]
    seat = get_seat_for_client(client, seat_id)
    fallback = reverse("scheduling_groups:client_detail", args=[seat.session_id])
    try:
        released = group_services.seat_release(
            actor=client, seat=seat, reason=request.POST.get("reason", "")
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, _error(exc))
        return _back(request, fallback)
    if released.late_cancellation:
        messages.warning(
            request,
            _(
                "You gave up your seat. It was inside your coach's cancellation cutoff, so it counts as a late cancellation."
            ),
        )
    else:
        messages.success(request, _("You gave up your seat."))
    # The client's session page no longer shows this session: go to the group page.
    target = request.POST.get("next", "")
    if target.startswith(reverse("scheduling_client:list")):
        return redirect(fallback)
    return _back(request, fallback)
