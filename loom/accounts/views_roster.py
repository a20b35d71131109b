"""The coach's client roster: list, invite, resend and revoke, archive and restore, client detail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts import services
from loom.accounts.forms import (
    InvitationForm,
    RosterFilterForm,
    apply_service_error,
    form_data,
)
from loom.accounts.models import CoachClient, User
from loom.accounts.permissions import coach_required
from loom.accounts.selectors import (
    get_client_for_coach,
    get_invitation_for_coach,
    roster_counts,
    roster_page,
)
from loom.core.errors import DomainError


@coach_required
@require_http_methods(["GET"])
def roster(request: HttpRequest) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    filters = RosterFilterForm(request.GET)
    search, status = filters.values()
    page = roster_page(coach=coach, search=search, status=status, page=request.GET.get("page", 1))
    return TemplateResponse(
        request,
        "accounts/roster/list.html",
        {
            "filters": filters,
            "page_obj": page,
            "entries": page.object_list,
            "counts": roster_counts(coach=coach),
            "search": search,
            "status": status,
        },
    )


@coach_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    form = InvitationForm(form_data(request), initial={"language": coach.language})
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.invitation_create(coach=coach, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            if sent.resent:
                messages.success(
                    request,
                    _(
                        "An invitation to %(email)s was already open, so we sent it again with a new link."
                    )
                    % {"email": sent.invitation.email},
                )
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": sent.invitation.email}
                )
            return redirect("coach:roster")
    return TemplateResponse(
        request,
        "accounts/roster/invite.html",
        {"form": form, "ttl_days": settings.LOOM_INVITATION_TTL_DAYS},
        status=400 if form.errors else 200,
    )


@coach_required
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        sent = services.invitation_resend(coach=request.user, invitation_id=invitation_id)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Invitation sent again to %(email)s. The previous link no longer works.")
            % {"email": sent.invitation.email},
        )
    return redirect("coach:roster")


@coach_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    invitation = get_invitation_for_coach(coach, invitation_id)
    if request.method == "POST":
        try:
            services.invitation_revoke(coach=coach, invitation_id=invitation_id)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email}
            )
        return redirect("coach:roster")
    return TemplateResponse(
        request,
        "accounts/roster/confirm.html",
        {
            "title": _("Revoke the invitation to %(email)s?") % {"email": invitation.email},
            "body": _(
                "The link in the invitation email will stop working. You can invite this person again later."
            ),
            "confirm_label": _("Revoke invitation"),
            "tone": "danger",
            "cancel_url": reverse("coach:roster"),
        },
    )


def _confirm_link_change(request: HttpRequest, client_id: int, *, archive: bool) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    link = get_client_for_coach(coach, client_id)
    name = link.client.display_name
    if request.method == "POST":
        if archive:
            services.client_archive(coach=coach, client_id=client_id)
            messages.success(request, _("%(name)s was archived.") % {"name": name})
        else:
            services.client_restore(coach=coach, client_id=client_id)
            messages.success(request, _("%(name)s is an active client again.") % {"name": name})
        return redirect("coach:client", client_id=link.client_id)
    if archive:
        title = _("Archive %(name)s?") % {"name": name}
        body = _(
            "They move to your archived clients. Nothing is deleted, and you can restore them at any time."
        )
        label = _("Archive client")
    else:
        title = _("Restore %(name)s?") % {"name": name}
        body = _("They return to your active clients.")
        label = _("Restore client")
    return TemplateResponse(
        request,
        "accounts/roster/confirm.html",
        {
            "title": title,
            "body": body,
            "confirm_label": label,
            "tone": "danger" if archive else "primary",
            "cancel_url": reverse("coach:client", args=[link.client_id]),
        },
    )


@coach_required
@require_http_methods(["GET", "POST"])
def client_archive(request: HttpRequest, client_id: int) -> HttpResponse:
    return _confirm_link_change(request, client_id, archive=True)


@coach_required
@require_http_methods(["GET", "POST"])
def client_restore(request: HttpRequest, client_id: int) -> HttpResponse:
    return _confirm_link_change(request, client_id, archive=False)


# The client page's tabs. Each later app fills its own tab through a template tag
# library loaded by name in client_detail.html, so accounts imports none of them.
CLIENT_TABS: tuple[tuple[str, Any], ...] = (
    ("overview", gettext_lazy("Overview")),
    ("sessions", gettext_lazy("Sessions")),
    ("journal", gettext_lazy("Journal")),
    ("resources", gettext_lazy("Resources")),
    ("messages", gettext_lazy("Messages")),
    ("progress", gettext_lazy("Progress")),
)
_TAB_SLUGS = {slug for slug, _label in CLIENT_TABS}


@coach_required
@require_http_methods(["GET"])
def client_detail(request: HttpRequest, client_id: int, tab: str = "overview") -> HttpResponse:
    if tab not in _TAB_SLUGS:
        raise Http404
    link = get_client_for_coach(request.user, client_id)  # type: ignore[arg-type]
    tabs = [
        {
            "slug": slug,
            "label": label,
            "url": reverse("coach:client", args=[link.client_id])
            if slug == "overview"
            else reverse("coach:client_tab", args=[link.client_id, slug]),
        }
        for slug, label in CLIENT_TABS
    ]
    client = link.client
    is_archived = link.status == CoachClient.Status.ARCHIVED
    return TemplateResponse(
        request,
        "accounts/roster/client_detail.html",
        {
            "link": link,
            "client": client,
            # Intake answers are wellness data: coaches read them only while the
            # client is active (the same rule row-level security enforces on PostgreSQL).
            "profile": None if is_archived else getattr(client, "client_profile", None),
            "is_archived": is_archived,
            "tabs": tabs,
            "active_tab": tab,
        },
    )
