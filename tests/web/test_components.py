"""The design system: the gallery, field rendering, CSP-safe markup, language and direction."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django import forms
from django.template.loader import render_to_string
from django.test import Client, override_settings

from tests.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db

GALLERY = "/admin-area/components/"
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


@pytest.fixture
def admin(world: World) -> Client:
    """The admin, signed in, with the authenticator app admins must have."""
    TOTP.activate(world.admin, generate_totp_secret())
    return signed_in(world.admin)


def _unsafe_markup(html: str, nonce: str) -> list[str]:
    """Every style attribute, and every script tag that does not carry the page's nonce."""
    problems = [match.group(0) for match in STYLE_ATTRIBUTE.finditer(html)]
    for tag in SCRIPT_TAG.findall(html):
        if 'type="application/json"' in tag or "type='application/json'" in tag:
            continue
        if f'nonce="{nonce}"' not in tag:
            problems.append(tag)
    return problems


def _nonce(response: Any) -> str:
    header = response.headers["Content-Security-Policy"]
    match = re.search(r"'nonce-([^']+)'", header)
    assert match, header
    return match.group(1)


def test_gallery_renders_every_component_for_an_admin(admin: Client) -> None:
    response = admin.get(GALLERY)
    assert response.status_code == 200
    html = response.content.decode()
    for marker in (
        'dir="ltr" lang="en"',
        'dir="rtl" lang="he"',
        "button button-primary",
        'role="switch"',
        "<dialog",
        'role="menu"',
        "data-tabs=",
        'role="tooltip"',
        "table-reflow",
        'class="pagination"',
        "<time",
        "empty-state",
        "badge-warning",
        "avatar-tone-",
        "toast-error",
    ):
        assert marker in html, marker


def test_gallery_is_refused_to_a_client(world: World) -> None:
    response = signed_in(world.avi).get(GALLERY)
    assert response.status_code == 302
    assert response["Location"] == "/client/"


def test_gallery_asks_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(GALLERY)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@override_settings(DEBUG=True)
def test_gallery_opens_to_anyone_signed_in_during_development(world: World) -> None:
    assert signed_in(world.dana).get(GALLERY).status_code == 200


def test_gallery_toast_buttons_round_trip_through_messages(admin: Client) -> None:
    response = admin.post(GALLERY, {"tone": "error"}, follow=True)
    html = response.content.decode()
    assert 'class="toast toast-error" data-toast role="alert"' in html


def test_admin_navigation_links_to_the_gallery(admin: Client) -> None:
    html = admin.get("/admin-area/").content.decode()
    assert f'href="{GALLERY}"' in html


class _ProfileForm(forms.Form):
    name = forms.CharField(label="Name", help_text="As your clients see it.")
    email = forms.EmailField(label="Email")
    plan = forms.ChoiceField(
        label="Plan", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )
    notify = forms.BooleanField(
        label="Notify", required=False, widget=forms.CheckboxInput(attrs={"role": "switch"})
    )


def _field_html(form: forms.Form, name: str) -> str:
    return render_to_string("components/field.html", {"field": form[name]})


def test_field_ties_label_help_and_errors_to_the_control() -> None:
    form = _ProfileForm(data={"name": "", "email": "not-an-email", "plan": ""})
    assert not form.is_valid()

    name = _field_html(form, "name")
    assert '<label for="id_name"' in name
    assert 'id="id_name"' in name
    assert 'aria-invalid="true"' in name
    assert 'aria-describedby="id_name-help id_name-errors"' in name
    assert 'id="id_name-help"' in name
    assert 'id="id_name-errors"' in name
    assert "field-required" in name

    email = _field_html(form, "email")
    assert 'aria-describedby="id_email-errors"' in email
    assert "Enter a valid email address." in email


def test_field_without_errors_is_not_marked_invalid() -> None:
    form = _ProfileForm(data={"name": "Dana", "email": "dana@example.com", "plan": "a"})
    assert form.is_valid()
    html = _field_html(form, "name")
    assert "aria-invalid" not in html
    assert 'aria-describedby="id_name-help"' in html


def test_radio_group_is_a_fieldset_with_a_legend_and_labelled_options() -> None:
    form = _ProfileForm(data={"name": "Dana", "email": "dana@example.com"})
    form.is_valid()
    html = _field_html(form, "plan")
    assert "<fieldset" in html and "<legend" in html
    assert 'aria-describedby="id_plan-errors"' in html
    assert '<label for="id_plan_0">A</label>' in html
    assert 'aria-invalid="true"' in html


def test_checkbox_with_switch_role_renders_as_a_switch() -> None:
    html = _field_html(_ProfileForm(), "notify")
    assert 'role="switch"' in html
    assert 'class="switch"' in html
    assert '<label for="id_notify"' in html


PUBLIC_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-not-a-key/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/not-a-key/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_style_attributes_or_unnonced_scripts(
    client: Client, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert html.count("<h1") == 1
    assert _unsafe_markup(html, _nonce(response)) == []


def test_gallery_has_no_style_attributes_or_unnonced_scripts(admin: Client) -> None:
    response = admin.get(GALLERY)
    assert _unsafe_markup(response.content.decode(), _nonce(response)) == []


def test_signed_in_pages_have_no_style_attributes_or_unnonced_scripts(
    world: World, admin: Client
) -> None:
    for browser, path in (
        (signed_in(world.dana), "/coach/"),
        (signed_in(world.avi), "/client/"),
        (admin, "/admin-area/"),
    ):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert _unsafe_markup(response.content.decode(), _nonce(response)) == [], path


def test_login_page_offers_remember_me_and_uses_loom_fields(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert 'name="remember"' in html
    assert '<label for="id_remember"' in html
    assert '<label for="id_login"' in html
    assert 'class="button button-primary"' in html
    assert html.count("<h1") == 1


def test_signup_page_is_for_coaches(client: Client) -> None:
    html = client.get("/accounts/signup/").content.decode()
    assert "coach account" in html
    assert "Clients join through their coach's invitation" in html
    assert '<label for="id_password1"' in html


def test_failed_login_shows_the_error_in_an_alert(client: Client, world: World) -> None:
    response = client.post(
        "/accounts/login/", {"login": "dana@example.com", "password": "wrong password"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "form-errors" in html


def test_base_layout_is_hebrew_and_right_to_left_from_accept_language(client: Client) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert '<html lang="he" dir="rtl">' in html


def test_base_layout_follows_the_language_cookie(client: Client) -> None:
    client.cookies["loom_language"] = "he"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="he" dir="rtl">' in html
    client.cookies["loom_language"] = "en"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en" dir="ltr">' in html


def test_account_menu_shows_the_users_name_and_signs_out_by_post(world: World) -> None:
    html = signed_in(world.dana).get("/coach/").content.decode()
    assert "Dana Levi" in html
    assert 'aria-haspopup="true"' in html
    assert re.search(
        r'<form method="post" action="/accounts/logout/" id="account-menu-sign-out"', html
    )


def test_allauth_manage_pages_render_inside_the_loom_layout(world: World) -> None:
    client = signed_in(world.dana)
    for path in (
        "/accounts/password/change/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/sessions/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert 'class="account-layout"' in html, path
        assert 'class="site-header"' in html, path
        assert _unsafe_markup(html, _nonce(response)) == [], path


STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "loom.css"

# (foreground token, background token, minimum ratio): the text and control pairs the
# stylesheet uses. 4.5:1 for normal text, 3:1 for control borders and the focus ring.
COLOUR_PAIRS = [
    ("--ink", "--neutral-0", 4.5),
    ("--ink", "--neutral-50", 4.5),
    ("--neutral-600", "--neutral-0", 4.5),
    ("--neutral-600", "--neutral-50", 4.5),
    ("--neutral-700", "--neutral-100", 4.5),
    ("--orange-700", "--neutral-0", 4.5),
    ("--orange-700", "--neutral-50", 4.5),
    ("--orange-700", "--orange-50", 4.5),
    ("--neutral-0", "--orange-700", 4.5),
    ("--neutral-0", "--orange-800", 4.5),
    ("--neutral-0", "--red-700", 4.5),
    ("--neutral-0", "--red-800", 4.5),
    ("--red-700", "--neutral-0", 4.5),
    ("--red-800", "--red-50", 4.5),
    ("--red-800", "--red-100", 4.5),
    ("--green-900", "--green-50", 4.5),
    ("--green-900", "--green-100", 4.5),
    ("--amber-900", "--amber-50", 4.5),
    ("--amber-900", "--amber-100", 4.5),
    ("--blue-900", "--blue-50", 4.5),
    ("--blue-900", "--blue-100", 4.5),
    ("--neutral-0", "--ink", 4.5),
    ("--neutral-500", "--neutral-0", 3.0),
    ("--neutral-500", "--neutral-50", 3.0),
    ("--orange-700", "--ink", 3.0),
]


def _tokens() -> dict[str, str]:
    css = STYLESHEET.read_text()
    return dict(re.findall(r"(--[a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\s*;", css))


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("foreground", "background", "minimum"), COLOUR_PAIRS)
def test_palette_pairs_meet_wcag_aa(foreground: str, background: str, minimum: float) -> None:
    tokens = _tokens()
    ratio = _contrast(tokens[foreground], tokens[background])
    assert ratio >= minimum, f"{foreground} on {background}: {ratio:.2f}:1"


def test_avatar_tones_carry_white_initials_at_aa() -> None:
    tones = re.findall(
        r"\.avatar-tone-\d+ \{ background: (#[0-9a-fA-F]{6}); \}", STYLESHEET.read_text()
    )
    assert len(tones) == 8
    for tone in tones:
        assert _contrast("#ffffff", tone) >= 4.5, tone


def test_stylesheet_uses_logical_properties_only() -> None:
    physical = re.compile(
        r"^\s*(margin|padding|border)-(left|right)\b|^\s*(left|right)\s*:|text-align:\s*(left|right)|float:\s*(left|right)",
        re.MULTILINE,
    )
    assert physical.findall(STYLESHEET.read_text()) == []


def test_sign_out_and_reauthentication_are_focused_cards(world: World) -> None:
    client = signed_in(world.dana)
    for path in ("/accounts/logout/", "/accounts/reauthenticate/"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "auth-card" in html, path
        assert html.count("<h1") == 1, path
        assert _unsafe_markup(html, _nonce(response)) == [], path
