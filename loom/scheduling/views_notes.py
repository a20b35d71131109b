"""Session notes pages: private note, summary, action items, preparation, reflection, files.

Every URL is under ``/sessions/<session_id>/notes/`` and open to the session's parties
only: anyone else gets a 404 (the session's existence is not confirmed). A party
acting outside their role (a client posting the coach's private note, a coach
posting a reflection) gets a 403. Forms post here and come back to the page they
were sent from (``next``, same site only) or to the notes page; a form with errors is
shown again on the notes page with the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loom.accounts.models import User
from loom.accounts.timezones import zone_named
from loom.core.errors import DomainError, Forbidden, NotFound
from loom.core.uploads import limit_uploads, upload_was_too_large
from loom.scheduling import note_services as services
from loom.scheduling.emails import format_when
from loom.scheduling.models import Session
from loom.scheduling.note_selectors import (
    NotesPanel,
    get_action_item_for,
    get_attachment_for,
    get_session_for_party,
    is_session_client,
    session_clients,
)

# --- Forms ---------------------------------------------------------------------------------


class PrivateNoteForm(forms.Form):
    prefix = "private"
    body = forms.CharField(
        label=gettext_lazy("Private notes"),
        required=False,
        max_length=services.PRIVATE_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Only you can see these notes. Your client never does."),
    )


class SummaryForm(forms.Form):
    prefix = "summary"
    body = forms.CharField(
        label=gettext_lazy("Summary for your client"),
        required=False,
        max_length=services.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Plain text. Your client sees it once you share it."),
    )


class ActionItemForm(forms.Form):
    prefix = "item"
    title = forms.CharField(label=gettext_lazy("Action item"), max_length=services.TITLE_MAX)
    details = forms.CharField(
        label=gettext_lazy("Details"),
        required=False,
        max_length=services.DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_on = forms.DateField(
        label=gettext_lazy("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    clients = forms.TypedMultipleChoiceField(
        label=gettext_lazy("For"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave all unticked to give it to everyone in the session."),
    )

    def __init__(self, *args: Any, session: Session, clients: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_on"].widget.attrs["min"] = services.session_local_date(session).isoformat()
        if session.is_group and clients:
            field = self.fields["clients"]
            assert isinstance(field, forms.TypedMultipleChoiceField)
            field.choices = [(client.pk, client.display_name) for client in clients]
        else:
            del self.fields["clients"]


class ActionItemEditForm(ActionItemForm):
    prefix = "edit"


class PreparationForm(forms.Form):
    prefix = "prep"
    body = forms.CharField(
        label=gettext_lazy("Your preparation"),
        required=False,
        max_length=services.PREPARATION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "What you would like to talk about. Your coach can read it. "
            "You can change it until the session starts."
        ),
    )


class ReflectionForm(forms.Form):
    prefix = "refl"
    body = forms.CharField(
        label=gettext_lazy("Your reflection"),
        required=False,
        max_length=services.REFLECTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What you take away from the session. Your coach can read it."),
    )


class AttachmentForm(forms.Form):
    prefix = "file"
    file = forms.FileField(
        label=gettext_lazy("Add a file"),
        help_text=gettext_lazy(
            "PDF, image (PNG, JPEG, GIF, WebP), Word, Excel, PowerPoint or plain text."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = services.attachment_policy().accept_attribute


def apply_error(form: forms.Form, exc: ValidationError | DomainError) -> None:
    """Show a service's refusal on the form: on its field when the form has it."""
    if isinstance(exc, DomainError):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = "clients" if name == "client_ids" else name
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def panel_forms(
    panel: NotesPanel, bound: dict[str, forms.Form] | None = None
) -> dict[str, forms.Form]:
    """The panel's forms, pre-filled from what ``panel`` already read (no queries);
    ``bound`` replaces some of them (a form sent back with its errors)."""
    bound = bound or {}
    out: dict[str, forms.Form] = {}
    if panel.is_coach:
        out["private"] = bound.get("private") or PrivateNoteForm(
            initial={"body": panel.private_note}
        )
        out["summary"] = bound.get("summary") or SummaryForm(
            initial={"body": panel.summary.body if panel.summary else ""}
        )
        out["item"] = bound.get("item") or ActionItemForm(
            session=panel.session, clients=panel.clients
        )
    else:
        own = panel.own_reflection
        out["prep"] = bound.get("prep") or PreparationForm(
            initial={"body": own.preparation if own else ""}
        )
        out["refl"] = bound.get("refl") or ReflectionForm(
            initial={"body": own.reflection if own else ""}
        )
    out["file"] = bound.get("file") or AttachmentForm()
    return out


# --- Helpers -------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _party(request: HttpRequest, session_id: int) -> Session:
    return get_session_for_party(_user(request), session_id)


def _coach_of(request: HttpRequest, session_id: int) -> Session:
    """The session for its coach; another party gets 403, anyone else 404."""
    session = _party(request, session_id)
    if session.coach_id != request.user.pk:
        raise PermissionDenied
    return session


def _client_of(request: HttpRequest, session_id: int) -> Session:
    session = _party(request, session_id)
    if not is_session_client(_user(request), session):
        raise PermissionDenied
    return session


def _back(request: HttpRequest, session: Session) -> HttpResponse:
    """To ``next`` when it is a path on this site, else to the notes page."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("scheduling_notes:page", session_id=session.pk)


def _page(
    request: HttpRequest,
    session: Session,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> TemplateResponse:
    viewer = _user(request)
    own_zone = zone_named(viewer.timezone)
    coach_zone = zone_named(session.coach_timezone)
    return TemplateResponse(
        request,
        "scheduling/notes/page.html",
        {
            "session": session,
            "when": format_when(session.starts_at, session.ends_at, own_zone),
            "coach_when": format_when(session.starts_at, session.ends_at, coach_zone)
            if own_zone.key != coach_zone.key
            else "",
            # Forms sent back with errors; the panel builds the others.
            "notes_forms": bound or {},
        },
        status=status,
    )


def _refused(
    request: HttpRequest,
    session: Session,
    key: str,
    form: forms.Form,
    exc: ValidationError | DomainError,
) -> HttpResponse:
    if isinstance(exc, Forbidden):
        raise PermissionDenied
    if isinstance(exc, NotFound):
        raise Http404
    apply_error(form, exc)
    return _page(request, session, bound={key: form}, status=400)


# --- Pages ---------------------------------------------------------------------------------


@login_required
@never_cache
@require_GET
def notes_page(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's notes panel on a page of its own (what the forms come back to)."""
    return _page(request, _party(request, session_id))


def _save_text(
    request: HttpRequest,
    session: Session,
    *,
    form_class: type[forms.Form],
    prefix: str,
    save: Callable[..., Any],
    done: str,
) -> HttpResponse:
    """The one-textarea forms (private note, preparation, reflection): validate, save
    through ``save(actor=, session=, body=)``, and come back with ``done`` or the error."""
    form = form_class(request.POST)
    if not form.is_valid():
        return _page(request, session, bound={prefix: form}, status=400)
    try:
        save(actor=_user(request), session=session, body=form.cleaned_data["body"])
    except (ValidationError, DomainError) as exc:
        return _refused(request, session, prefix, form, exc)
    messages.success(request, done)
    return _back(request, session)


@login_required
@require_POST
def private_note(request: HttpRequest, session_id: int) -> HttpResponse:
    return _save_text(
        request,
        _coach_of(request, session_id),
        form_class=PrivateNoteForm,
        prefix="private",
        save=services.private_note_save,
        done=_("Private notes saved."),
    )


@login_required
@require_POST
def summary(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _coach_of(request, session_id)
    form = SummaryForm(request.POST)
    if not form.is_valid():
        return _page(request, session, bound={"summary": form}, status=400)
    share = request.POST.get("action") == "share"
    try:
        saved = services.summary_save(
            actor=_user(request), session=session, body=form.cleaned_data["body"], share=share
        )
    except (ValidationError, DomainError) as exc:
        return _refused(request, session, "summary", form, exc)
    if saved.shared_at is not None:
        messages.success(request, _("Summary saved. Your client can read it."))
    else:
        messages.success(request, _("Summary saved as a draft. Your client can't see it yet."))
    return _back(request, session)


@login_required
@require_POST
def item_add(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _coach_of(request, session_id)
    form = ActionItemForm(request.POST, session=session, clients=session_clients(session))
    if not form.is_valid():
        return _page(request, session, bound={"item": form}, status=400)
    data = form.cleaned_data
    try:
        services.action_item_create(
            actor=_user(request),
            session=session,
            title=data["title"],
            details=data["details"],
            due_on=data["due_on"],
            client_ids=data.get("clients") or None,
        )
    except (ValidationError, DomainError) as exc:
        return _refused(request, session, "item", form, exc)
    messages.success(request, _("Action item added."))
    return _back(request, session)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _coach_of(request, session_id)
    item = get_action_item_for(_user(request), session, item_id)
    clients: list[User] = []
    if request.method == "POST":
        form = ActionItemEditForm(request.POST, session=session, clients=clients)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.action_item_update(
                    actor=_user(request),
                    session=session,
                    item_id=item.pk,
                    title=data["title"],
                    details=data["details"],
                    due_on=data["due_on"],
                )
            except (ValidationError, DomainError) as exc:
                if isinstance(exc, Forbidden | NotFound):
                    raise Http404 from None
                apply_error(form, exc)
            else:
                messages.success(request, _("Action item saved."))
                return redirect("scheduling_notes:page", session_id=session.pk)
    else:
        form = ActionItemEditForm(
            session=session,
            clients=clients,
            initial={"title": item.title, "details": item.details, "due_on": item.due_on},
        )
    return TemplateResponse(
        request,
        "scheduling/notes/item_edit.html",
        {"session": session, "item": item, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def item_delete(request: HttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _coach_of(request, session_id)
    try:
        services.action_item_delete(actor=_user(request), session=session, item_id=item_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Action item deleted."))
    return _back(request, session)


@login_required
@require_POST
def item_done(request: HttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _party(request, session_id)
    done = request.POST.get("done") == "1"
    try:
        item = services.action_item_set_done(
            actor=_user(request), session=session, item_id=item_id, done=done
        )
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    if item.completed_at:
        messages.success(request, _("Marked as done."))
    else:
        messages.success(request, _("Marked as not done yet."))
    return _back(request, session)


@login_required
@require_POST
def preparation(request: HttpRequest, session_id: int) -> HttpResponse:
    return _save_text(
        request,
        _client_of(request, session_id),
        form_class=PreparationForm,
        prefix="prep",
        save=services.preparation_save,
        done=_("Preparation saved. Your coach can read it."),
    )


@login_required
@require_POST
def reflection(request: HttpRequest, session_id: int) -> HttpResponse:
    return _save_text(
        request,
        _client_of(request, session_id),
        form_class=ReflectionForm,
        prefix="refl",
        save=services.reflection_save,
        done=_("Reflection saved. Your coach can read it."),
    )


@csrf_exempt  # checked by csrf_protect below, once the upload limit is in place
@require_POST
def attachment_add(request: HttpRequest, session_id: int) -> HttpResponse:
    # Before anything reads request.POST: an oversize file is skipped as it arrives.
    limit_uploads(request, max_bytes=services.attachment_policy().largest)
    return _attachment_add(request, session_id)


# CSRF first, as for every other form: a forged request is refused even when signed out.
@csrf_protect
@login_required
def _attachment_add(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _party(request, session_id)
    form = AttachmentForm(request.POST, request.FILES)
    too_large = upload_was_too_large(request)
    if too_large is not None:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", too_large)
    if not form.is_valid():
        return _page(request, session, bound={"file": form}, status=400)
    try:
        services.attachment_add(
            actor=_user(request), session=session, upload=form.cleaned_data["file"]
        )
    except (ValidationError, DomainError) as exc:
        return _refused(request, session, "file", form, exc)
    messages.success(request, _("File added."))
    return _back(request, session)


@login_required
@require_GET
def attachment_download(
    request: HttpRequest, session_id: int, attachment_id: int
) -> HttpResponseBase:
    """The file, always as a download, with the type its content was validated as."""
    session = _party(request, session_id)
    attachment = get_attachment_for(_user(request), session, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, session_id: int, attachment_id: int) -> HttpResponse:
    session = _party(request, session_id)
    try:
        services.attachment_delete(
            actor=_user(request), session=session, attachment_id=attachment_id
        )
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    messages.success(request, _("File removed."))
    return _back(request, session)


def notes_url(session: Session) -> str:
    return reverse("scheduling_notes:page", kwargs={"session_id": session.pk})
