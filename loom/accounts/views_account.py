"""The account page (profile, language, time zone, photo), photos, language switch, deletion request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from loom.accounts import services
from loom.accounts.forms import (
    CoachDetailsForm,
    DeletionRequestForm,
    ProfileForm,
    apply_service_error,
    form_data,
    form_files,
)
from loom.accounts.images import OUTPUT_CONTENT_TYPE
from loom.accounts.models import Language, User
from loom.accounts.permissions import coach_required
from loom.accounts.selectors import get_avatar_owner_for_user
from loom.core.errors import DomainError


def _profile_initial(user: User) -> dict[str, str]:
    return {"full_name": user.full_name, "language": user.language, "timezone": user.timezone}


def _render_profile(
    request: HttpRequest,
    profile_form: ProfileForm,
    coach_form: CoachDetailsForm | None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if coach_form is None and user.is_coach:
        coach_form = CoachDetailsForm(initial=CoachDetailsForm.initial_for(user), prefix="coach")
    return TemplateResponse(
        request,
        "accounts/profile.html",
        {
            "form": profile_form,
            "coach_form": coach_form,
            "deletion_requested_at": user.deletion_requested_at,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(form_data(request), form_files(request), initial=_profile_initial(user))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.user_profile_update(
                    user=user,
                    full_name=data["full_name"],
                    language=data["language"],
                    time_zone=data["timezone"],
                )
                if data.get("avatar") is not None:
                    services.user_avatar_set(user=user, image=data["avatar"])
                elif data.get("remove_avatar"):
                    services.user_avatar_remove(user=user)
            except (ValidationError, DomainError) as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("account:profile")
        return _render_profile(request, form, None, status=400)
    return _render_profile(request, form, None)


@coach_required
@require_POST
def coach_profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CoachDetailsForm(request.POST, form_files(request), prefix="coach")
    if form.is_valid():
        try:
            services.coach_profile_update(user=user, **form.service_kwargs())
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your coaching profile was saved."))
            return redirect("account:profile")
    return _render_profile(request, ProfileForm(initial=_profile_initial(user)), form, status=400)


@login_required
@require_GET
def avatar(request: HttpRequest, user_id: int) -> HttpResponseBase:
    """A person's photo, for themselves, their coach or clients, and admins (others: 404)."""
    owner = get_avatar_owner_for_user(request.user, user_id)  # type: ignore[arg-type]
    try:
        handle = owner.avatar.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=OUTPUT_CONTENT_TYPE)
    # Private: a shared cache must never hand one person's photo to another.
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: sets the cookie and, when signed in, the account's language.

    The account's language wins over the cookie for signed-in people (see
    ``UserPreferencesMiddleware``), so it must be saved for the switch to take effect.
    """
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in Language.values:
        services.user_language_set(user=request.user, language=language)
    # Django's view sets the cookie and only follows a ``next`` on this site.
    return django_set_language(request)


@login_required
@require_http_methods(["GET", "POST"])
def delete_request(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = DeletionRequestForm(form_data(request))
    if request.method == "POST":
        if "cancel_request" in request.POST:
            services.user_deletion_cancel(user=user)
            messages.success(request, _("Your deletion request was withdrawn."))
            return redirect("account:profile")
        if form.is_valid():
            services.user_deletion_request(user=user)
            messages.success(request, _("We received your request to delete your account."))
            return redirect("account:profile")
    return TemplateResponse(
        request,
        "accounts/delete_request.html",
        {"form": form, "deletion_requested_at": user.deletion_requested_at},
        status=400 if form.errors else 200,
    )
