"""Sharing pages: the share form of a resource or a collection, removing a share, and
session homework. Coaches only; someone else's resource, collection, share or session
is a 404. Views parse the form and call the sharing services, which check every rule
again (active roster, own items, expiry in the future).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.forms import apply_service_error, form_data
from loom.accounts.models import User
from loom.accounts.permissions import coach_required
from loom.core.errors import DomainError, NotFound
from loom.resources import sharing_services as services
from loom.resources.forms_sharing import ShareForm
from loom.resources.models import Collection, Resource, Share
from loom.resources.selectors import get_own_collection, get_own_resource


def _coach(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def target_url(target: Resource | Collection) -> str:
    """The coach's page of a resource or a collection."""
    if isinstance(target, Collection):
        return reverse("resources_library:collection_detail", args=[target.pk])
    return reverse("resources_library:detail", args=[target.pk])


def _share_page(
    request: HttpRequest, target: Resource | Collection, *, is_collection: bool
) -> HttpResponse:
    coach = _coach(request)
    clients = services.active_clients_of(coach)
    form = ShareForm(
        form_data(request),
        coach=coach,
        clients=clients,
        initial={"auto_share": target.auto_share, "can_download": True},
    )
    if request.method == "POST" and form.is_valid():
        auto_share: bool = form.cleaned_data["auto_share"]
        auto_changed = auto_share != target.auto_share
        share_now = form.all_clients or bool(form.client_ids)
        if not share_now and not auto_changed:
            form.add_error(
                "clients", _("Choose at least one client, or share with all your current clients.")
            )
        else:
            try:
                count = _apply(
                    coach=coach,
                    target=target,
                    form=form,
                    share_now=share_now,
                    auto_changed=auto_changed,
                    auto_share=auto_share,
                )
            except NotFound:
                raise Http404 from None
            except DomainError as exc:
                apply_service_error(form, exc)
            else:
                _tell(request, target, count=count, auto_changed=auto_changed, on=auto_share)
                return redirect(target_url(target))
    return TemplateResponse(
        request,
        "resources/share_form.html",
        {
            "target": target,
            "is_collection": is_collection,
            "form": form,
            "has_clients": bool(clients),
            "back_url": target_url(target),
        },
        status=400 if form.errors else 200,
    )


@transaction.atomic
def _apply(
    *,
    coach: User,
    target: Resource | Collection,
    form: ShareForm,
    share_now: bool,
    auto_changed: bool,
    auto_share: bool,
) -> int:
    """Change auto-share and share now, together or not at all. Returns the clients shared with."""
    key = "collection_id" if isinstance(target, Collection) else "resource_id"
    if auto_changed:
        services.set_auto_share(coach=coach, enabled=auto_share, **{key: target.pk})
    if not share_now:
        return 0
    options: dict[str, Any] = {
        "coach": coach,
        "client_ids": form.client_ids,
        "all_clients": form.all_clients,
        "can_download": form.cleaned_data["can_download"],
        "expires_at": form.expires_at,
    }
    if isinstance(target, Collection):
        shares = services.share_collection(collection_id=target.pk, **options)
    else:
        shares = services.share_resources(resource_ids=[target.pk], **options)
    return len({share.client_id for share in shares})


def _tell(
    request: HttpRequest,
    target: Resource | Collection,
    *,
    count: int,
    auto_changed: bool,
    on: bool,
) -> None:
    if count:
        messages.success(
            request,
            ngettext(
                "“%(title)s” is shared with %(count)d client.",
                "“%(title)s” is shared with %(count)d clients.",
                count,
            )
            % {"title": target.title, "count": count},
        )
    if auto_changed:
        messages.success(
            request,
            _("Every new client will get “%(title)s”.") % {"title": target.title}
            if on
            else _("New clients will no longer get “%(title)s”.") % {"title": target.title},
        )


@coach_required
@require_http_methods(["GET", "POST"])
def share_resource(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_own_resource(_coach(request), pk)
    return _share_page(request, resource, is_collection=False)


@coach_required
@require_http_methods(["GET", "POST"])
def share_collection(request: HttpRequest, pk: int) -> HttpResponse:
    collection = get_own_collection(_coach(request), pk)
    return _share_page(request, collection, is_collection=True)


@coach_required
@require_http_methods(["GET", "POST"])
def unshare(request: HttpRequest, share_id: int) -> HttpResponse:
    """GET: the confirmation page (without JavaScript); POST: remove the share."""
    coach = _coach(request)
    try:
        share: Share = services.get_own_share(coach, share_id)
    except DomainError:
        raise Http404 from None
    target = share.resource or share.collection
    if target is None:
        raise Http404
    if request.method == "POST":
        try:
            services.unshare(coach=coach, share_id=share.pk)
        except DomainError:
            raise Http404 from None
        messages.success(
            request,
            _("%(client)s no longer has “%(title)s”.")
            % {"client": share.client.display_name, "title": target.title},
        )
        return redirect(_safe_next(request) or target_url(target))
    return TemplateResponse(
        request,
        "resources/share_remove.html",
        {"share": share, "target": target, "back_url": _safe_next(request) or target_url(target)},
    )


def _session_page(request: HttpRequest, session_id: int) -> str:
    return _safe_next(request) or reverse("scheduling_coach:detail", args=[session_id])


@coach_required
@require_POST
def homework_add(request: HttpRequest, session_id: int) -> HttpResponse:
    coach = _coach(request)
    resource_id = request.POST.get("resource_id", "").strip()
    try:
        if not resource_id:
            # Someone else's session stays a 404 even when nothing was chosen.
            services.get_coach_session(coach, session_id)
            raise DomainError(_("Choose a resource to give as homework."), code="no_resource")
        homework = services.homework_add(
            coach=coach, session_id=session_id, resource_id=resource_id
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("“%(title)s” is homework for this session.") % {"title": homework.resource.title},
        )
    return redirect(_session_page(request, session_id))


@coach_required
@require_POST
def homework_remove(request: HttpRequest, session_id: int, homework_id: int) -> HttpResponse:
    try:
        homework = services.homework_remove(
            coach=_coach(request), session_id=session_id, homework_id=homework_id
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("“%(title)s” is no longer homework for this session.")
            % {"title": homework.resource.title},
        )
    return redirect(_session_page(request, session_id))
