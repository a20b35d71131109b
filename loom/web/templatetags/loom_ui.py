"""Template helpers for the design system (templates/components/).

The components stay declarative; these helpers hold the few decisions that would be
awkward in template language: which kind of control a widget is, the ids that tie a
control to its help and errors, initials and a stable colour for avatars, relative
times, and pagination links that keep the current query string.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField, BoundWidget
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext

register = template.Library()

# How many avatar colours the stylesheet defines (.avatar-tone-0 … .avatar-tone-7).
AVATAR_TONES = 8

# Input types whose content is always left-to-right, even on a Hebrew page.
_LTR_INPUTS = frozenset({"email", "url", "tel"})


@register.filter
def widget_kind(field: BoundField) -> str:
    """Classify a bound field's widget for components/field.html.

    One of: ``hidden``, ``switch``, ``checkbox``, ``checkbox_multiple``, ``radio``,
    ``select``, ``select_multiple``, ``textarea``, ``file``, ``input``.
    A checkbox becomes a switch when its widget has ``role="switch"``.
    """
    widget = field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkbox_multiple"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.CheckboxInput):
        return "switch" if widget.attrs.get("role") == "switch" else "checkbox"
    if isinstance(widget, forms.SelectMultiple):
        return "select_multiple"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


def _ids(field: BoundField) -> tuple[str, str]:
    base = field.auto_id or field.html_name
    return f"{base}-help", f"{base}-errors"


@register.filter
def help_id(field: BoundField) -> str:
    return _ids(field)[0]


@register.filter
def errors_id(field: BoundField) -> str:
    return _ids(field)[1]


@register.filter
def describedby(field: BoundField) -> str:
    """The ids of a field's help and error elements, in reading order (help, then errors)."""
    help_, errors = _ids(field)
    ids = (
        [str(field.field.widget.attrs.get("aria-describedby", ""))]
        if field.field.widget.attrs.get("aria-describedby")
        else []
    )
    if field.help_text:
        ids.append(help_)
    if field.errors:
        ids.append(errors)
    return " ".join(ids)


_CONTROL_CLASS = {
    "input": "input",
    "select": "select",
    "select_multiple": "select select-multiple",
    "textarea": "textarea",
    "file": "file-input",
    "checkbox": "checkbox",
    "switch": "switch",
}


@register.simple_tag
def field_control(field: BoundField, **extra: Any) -> SafeString:
    """Render a field's control with our class, ``aria-invalid`` and ``aria-describedby``.

    Extra keyword arguments become attributes (``autocomplete="off"``); underscores
    turn into hyphens so ``aria_label`` works.
    """
    kind = widget_kind(field)
    attrs: dict[str, Any] = {key.replace("_", "-"): value for key, value in extra.items()}
    if kind == "hidden":
        return field.as_widget(attrs=attrs)
    existing = str(field.field.widget.attrs.get("class", ""))
    attrs["class"] = " ".join(
        c for c in (existing, _CONTROL_CLASS.get(kind, "input"), attrs.get("class", "")) if c
    )
    if field.errors:
        attrs["aria-invalid"] = "true"
    if ids := describedby(field):
        attrs["aria-describedby"] = ids
    if getattr(field.field.widget, "input_type", "") in _LTR_INPUTS:
        attrs.setdefault("dir", "ltr")
    return field.as_widget(attrs=attrs)


@register.simple_tag
def choice_control(field: BoundField, choice: BoundWidget) -> SafeString:
    """Render one radio/checkbox of a multiple-choice field with the field's error state."""
    data = dict(choice.data)
    attrs = dict(data.get("attrs") or {})
    attrs["class"] = " ".join(
        c
        for c in (
            str(attrs.get("class", "")),
            "radio" if widget_kind(field) == "radio" else "checkbox",
        )
        if c
    )
    if field.errors:
        attrs["aria-invalid"] = "true"
    # The group's fieldset carries the description; a required group marks each option.
    attrs.pop("required", None)
    data["attrs"] = attrs
    data["wrap_label"] = False
    return mark_safe(choice.renderer.render(choice.template_name, {"widget": data}))  # noqa: S308  (Django's widget templates escape)


@register.filter
def is_required(field: BoundField) -> bool:
    return bool(field.field.required)


@register.filter
def initials(user: Any) -> str:
    """One or two letters for an avatar without a photo (works for Hebrew names too)."""
    name = str(getattr(user, "full_name", "") or "").strip()
    if not name:
        email = str(getattr(user, "email", "") or "")
        name = email.split("@", 1)[0]
    parts = [part for part in name.replace(".", " ").replace("_", " ").split() if part]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:1].upper()
    return (parts[0][:1] + parts[-1][:1]).upper()


@register.filter
def avatar_tone(user: Any) -> int:
    """A stable colour index from the user's id, so a person keeps one colour everywhere."""
    key = str(getattr(user, "pk", None) or getattr(user, "email", "") or "")
    digest = hashlib.sha256(key.encode()).digest()
    return digest[0] % AVATAR_TONES


@register.filter
def avatar_src(user: Any) -> str:
    """The photo URL for a user, or '' when there is none (the people helper owns the URL)."""
    url = getattr(user, "avatar_url", "")
    if callable(url):
        url = url()
    return str(url or "")


@register.filter
def relative_time(value: datetime | None) -> str:
    """'in 3 days' / '2 hours ago' / 'just now' relative to the current time."""
    if value is None:
        return ""
    now = timezone.now()
    delta = value - now
    if abs(delta) < timedelta(minutes=1):
        return gettext("just now")
    if delta > timedelta(0):
        return gettext("in %(delta)s") % {"delta": timeuntil(value, now, depth=1)}
    return gettext("%(delta)s ago") % {"delta": timesince(value, now, depth=1)}


@register.filter
def is_future(value: datetime | None) -> bool:
    return value is not None and value > timezone.now()


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], number: int) -> str:
    """The current URL's query string with ``page`` replaced (filters and search survive)."""
    request: HttpRequest | None = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is None:
        return f"?page={number}"
    params["page"] = str(number)
    return "?" + params.urlencode()


@register.simple_tag
def page_window(page_obj: Any, on_each_side: int = 2, on_ends: int = 1) -> list[int | None]:
    """Page numbers around the current one, with ``None`` for an ellipsis."""
    paginator = page_obj.paginator
    return list(
        paginator.get_elided_page_range(page_obj.number, on_each_side=on_each_side, on_ends=on_ends)
    )


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An inline SVG icon from the sprite-free set below; decorative unless a label is given."""
    path = _ICONS.get(name, "")
    extra_class = " icon-directional" if name in _DIRECTIONAL else ""
    if label:
        return format_html(
            '<svg class="icon{}" viewBox="0 0 24 24" role="img" aria-label="{}" focusable="false">{}</svg>',
            extra_class,
            label,
            SafeString(path),
        )
    return format_html(
        '<svg class="icon{}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{}</svg>',
        extra_class,
        SafeString(path),
    )


# Stroke icons (24 by 24, currentColor). Directional ones are mirrored in RTL by the stylesheet.
_ICONS: dict[str, str] = {
    "chevron-start": '<path d="M15 6l-6 6 6 6"/>',
    "chevron-end": '<path d="M9 6l6 6-6 6"/>',
    "chevron-down": '<path d="M6 9l6 6 6-6"/>',
    "arrow-end": '<path d="M5 12h14M13 6l6 6-6 6"/>',
    "close": '<path d="M6 6l12 12M18 6L6 18"/>',
    "menu": '<path d="M4 7h16M4 12h16M4 17h16"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>',
    "check": '<path d="M5 12l5 5 9-10"/>',
    "alert": '<path d="M12 4l9 16H3z"/><path d="M12 10v4M12 17v.5"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 20c1.5-4 4.5-6 8-6s6.5 2 8 6"/>',
    "calendar": '<rect x="4" y="5" width="16" height="15" rx="2"/><path d="M4 10h16M9 3v4M15 3v4"/>',
    "inbox": '<path d="M4 13l3-8h10l3 8v6H4z"/><path d="M4 13h5l1 2h4l1-2h5"/>',
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18"/>',
}
_DIRECTIONAL = frozenset({"chevron-start", "chevron-end", "arrow-end"})
