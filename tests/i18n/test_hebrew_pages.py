"""No English left in Hebrew pages (issue 2, "Done means").

Every page the URL resolver knows is requested with GET as each kind of visitor —
anonymous, coach, client, admin, and a coach and a client still in onboarding — in
Hebrew (``user.language = "he"`` and the language cookie). Every HTML answer (error
pages included) must say ``<html lang="he" dir="rtl">`` and show none of the English
msgids of ``locale/en/LC_MESSAGES/django.po`` whose Hebrew differs (see
``tests/i18n/english_left.py`` for what counts as shown and what is masked as data).
Django's own admin (``/django-admin/``) gets the ``lang``/``dir`` check only.

Routes with parameters get real objects from the world: from ``ROUTE_SAMPLES`` below
(several samples where a page has variants: every client tab, every onboarding step),
otherwise from the authorization harness's table (``tests/security/routes.py``, which
lists every route). A route with parameters found in neither is still visited with
values that match nothing, so at least its not-found page is checked, and
``test_routes_with_parameters_have_real_samples`` names it.

The failure lists every page and every English string at once, for the translator.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from loom.accounts import services
from loom.accounts.models import CoachProfile, Invitation, Onboarding, Role, User
from loom.accounts.selectors import CLIENT_STEPS, COACH_STEPS
from loom.journal.models import Comment, Entry, Intention, Prompt
from loom.resources.models import Collection, Resource
from loom.scheduling.models import SessionType
from loom.wellbeing.models import CheckIn, Goal, Milestone
from tests.i18n.english_left import EnglishCatalog, mask_data, read_page
from tests.world import World, make_user

PERSONAS = ("anonymous", "coach", "client", "admin", "new_coach", "new_client")
# A page each visitor can certainly open: proof that the walk reached them signed in.
OWN_PAGE = {
    "anonymous": "/",
    "coach": "/coach/",
    "client": "/client/",
    "admin": "/admin-area/",
    "new_coach": "/onboarding/coach/profile/",
    "new_client": "/onboarding/client/profile/",
}
MISSING_ID = 2_147_483_000
# Django's admin is Django's own UI: its text comes from Django's and the apps' catalogs
# (Django's Hebrew lacks some newer strings, e.g. "Pagination %(name)s"), which Loom does
# not maintain. Its pages are still checked for <html lang dir>; Loom's own admin pages
# live under /admin-area/ and get the full check.
THIRD_PARTY_UI_PREFIXES = ("/django-admin/",)
# Not pages: machine endpoints whose answers are JSON, metrics or files.
SKIPPED_PREFIXES = ("api/", "healthz", "readyz", "metrics")


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    parameters: tuple[str, ...]
    converters: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def walk(
    patterns: list[Any],
    prefix: str = "",
    namespace: str = "",
    converters: dict[str, str] | None = None,
) -> Iterator[Route]:
    converters = dict(converters or {})
    for entry in patterns:
        pattern = entry.pattern
        found = dict(converters)
        if isinstance(pattern, RoutePattern):
            found.update({name: type(conv).__name__ for name, conv in pattern.converters.items()})
        elif isinstance(pattern, RegexPattern):
            found.update({name: "regex" for name in pattern.regex.groupindex})
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else (entry.namespace or namespace)
            )
            yield from walk(entry.url_patterns, prefix + str(pattern), inner or "", found)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(
                route=prefix + str(pattern), name=name, parameters=tuple(found), converters=found
            )


@functools.cache
def all_routes() -> tuple[Route, ...]:
    routes = [
        r
        for r in walk(get_resolver().url_patterns)
        if not r.route.lstrip("^").startswith(SKIPPED_PREFIXES)
    ]
    return tuple(sorted(set(routes), key=lambda r: r.route))


@functools.cache
def english_catalog() -> EnglishCatalog:
    return EnglishCatalog()


# --- The visitors and the objects their pages need ----------------------------------------


@dataclass
class Scene:
    world: World
    user: User | None
    invitation: Invitation
    invitation_token: str


def persona(world: World, name: str) -> User | None:
    if name == "anonymous":
        return None
    if name == "coach":
        return world.dana
    if name == "client":
        return world.avi
    if name == "admin":
        # Admins must have a second factor before the admin areas open.
        TOTP.activate(world.admin, generate_totp_secret())
        return world.admin
    role = Role.COACH if name == "new_coach" else Role.CLIENT
    user = make_user(
        f"{name.replace('_', '.')}@example.com", role=role, full_name="Shira Katz", language="he"
    )
    Onboarding.objects.filter(user=user).update(profile_at=None, completed_at=None)
    return user


def build_scene(world: World, name: str) -> Scene:
    sent = services.invitation_create(
        coach=world.dana,
        email="invited.person@example.com",
        full_name="Yonatan Golan",
        language="he",
    )
    user = persona(world, name)
    if user is not None:
        user.language = "he"
        user.save(update_fields=["language"])
    return Scene(world=world, user=user, invitation=sent.invitation, invitation_token=sent.token)


def _admin_object_samples(route: Route, scene: Scene) -> list[dict[str, Any]]:
    assert route.name is not None
    for model, _model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if route.name.startswith(prefix):
            obj = model._default_manager.order_by("pk").first()
            return [{"object_id": str(obj.pk)}] if obj is not None else []
    return []


def _client_tabs() -> list[str]:
    from loom.accounts.views_roster import CLIENT_TABS

    return [slug for slug, *_rest in CLIENT_TABS]


def _own_session_id(scene: Scene) -> int:
    # The visitor's own device; the walk's earlier requests have recorded it.
    from allauth.usersessions.models import UserSession

    session = UserSession.objects.filter(user_id=getattr(scene.user, "pk", None)).first()
    return session.pk if session is not None else MISSING_ID


SampleFactory = Callable[[Route, Scene], list[dict[str, Any]]]
ROUTE_SAMPLES: dict[str, SampleFactory] = {
    "coach:client": lambda r, s: [{"client_id": s.world.avi.pk}],
    "coach:client_archive": lambda r, s: [{"client_id": s.world.avi.pk}],
    "coach:client_restore": lambda r, s: [{"client_id": s.world.avi.pk}],
    "coach:client_tab": lambda r, s: [
        {"client_id": s.world.avi.pk, "tab": tab} for tab in _client_tabs()
    ],
    "coach:invitation_resend": lambda r, s: [{"invitation_id": s.invitation.pk}],
    "coach:invitation_revoke": lambda r, s: [{"invitation_id": s.invitation.pk}],
    "invitation_accept": lambda r, s: [
        {"token": s.invitation_token},
        {"token": "no-such-invitation"},
    ],
    "onboarding:coach_step": lambda r, s: [{"step": str(step)} for step in COACH_STEPS],
    "onboarding:client_step": lambda r, s: [{"step": str(step)} for step in CLIENT_STEPS],
    "account:avatar": lambda r, s: [{"user_id": (s.user or s.world.dana).pk}],
    "security:session_end": lambda r, s: [{"pk": _own_session_id(s)}],
    # allauth's links with a key: an unknown key renders the "link is invalid" page.
    "account_confirm_email": lambda r, s: [{"key": "no-such-key"}],
    "account_reset_password_from_key": lambda r, s: [{"uidb36": "0", "key": "no-such-key"}],
    "admin:app_list": lambda r, s: [{"app_label": "accounts"}],
}
# Visited with placeholder values (their own pages need objects no world has).
WITHOUT_REAL_SAMPLES = {"admin:view_on_site"}


@functools.cache
def security_table_args() -> dict[str, Callable[[World], dict[str, Any]]]:
    """URL arguments from the authorization harness's table (tests/security/routes.py),
    by route: it must list every route, so pages added later are covered through it."""
    try:
        from tests.security import routes as security_routes
        from tests.security.matrix import Route as SecurityRoute
    except ImportError:
        return {}
    found: dict[str, Callable[[World], dict[str, Any]]] = {}
    for value in vars(security_routes).values():
        if isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, SecurityRoute) and item.args is not None:
                    found[item.pattern] = item.args
    return found


def _placeholder_kwargs(route: Route) -> dict[str, Any]:
    values = {
        "IntConverter": MISSING_ID,
        "UUIDConverter": "00000000-0000-0000-0000-000000000000",
    }
    return {name: values.get(kind, "no-such-thing") for name, kind in route.converters.items()}


def samples(route: Route, scene: Scene) -> list[dict[str, Any]]:
    if not route.parameters:
        return [{}]
    if route.name in ROUTE_SAMPLES:
        return ROUTE_SAMPLES[route.name](route, scene)
    if route.route in security_table_args():
        return [security_table_args()[route.route](scene.world)]
    if route.name and route.name.startswith("admin:") and "object_id" in route.parameters:
        found = _admin_object_samples(route, scene)
        if found:
            return found
    return [_placeholder_kwargs(route)]


def urls_for(route: Route, scene: Scene) -> list[str]:
    if route.name is None:
        return []  # unnamed catch-alls (the admin's "everything else" redirect)
    urls = []
    for kwargs in samples(route, scene):
        try:
            urls.append(reverse(route.name, kwargs=kwargs or None))
        except NoReverseMatch:
            continue
    return urls


def data_values(scene: Scene) -> list[str]:
    """People's names, emails and profile text (and other stored English): data, not catalog text."""
    values: list[str] = []
    for user in User.objects.all():
        values += [user.full_name, user.email, user.display_name]
    for profile in CoachProfile.objects.all():
        values += [profile.headline, profile.bio, *map(str, profile.specialties or [])]
    for invitation in Invitation.objects.all():
        values += [invitation.full_name, invitation.email, invitation.message]
    values += list(EmailAddress.objects.values_list("email", flat=True))
    # Permission names are stored in English when migrations run ("Can add audit log
    # entry"); the admin's group form lists them as data.
    values += list(Permission.objects.values_list("name", flat=True))
    for session_type in SessionType.objects.all():
        values += [session_type.name_en, session_type.description_en]
    # What coaches and clients wrote: resource titles, journal entries and comments,
    # prompts, intentions, goals and milestones, check-in notes.
    for model, fields in (
        (Resource, ("title", "description")),
        (Collection, ("title", "description")),
        (Entry, ("title", "body")),
        (Comment, ("body",)),
        (Prompt, ("text",)),
        (Intention, ("text",)),
        (Goal, ("title", "why", "measure")),
        (Milestone, ("title",)),
        (CheckIn, ("trigger", "thoughts", "behaviour", "note")),
    ):
        for row in model.objects.only(*fields):
            values += [str(getattr(row, name) or "") for name in fields]
    return [value for value in values if value]


# --- The test --------------------------------------------------------------------------------


def visitor(user: User | None) -> Client:
    # A page that crashes is reported with the others instead of stopping the walk.
    browser = Client(raise_request_exception=False)
    if user is not None:
        browser.force_login(user)
    return browser


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_pages(
    browser: Client, scene: Scene, report: Report, routes: tuple[Route, ...] | None = None
) -> None:
    catalog = english_catalog()
    for route in all_routes() if routes is None else routes:
        # Each route's sample objects live only while its pages are read: samples of
        # different routes (sessions of one coach at the same time) may not coexist.
        with transaction.atomic():
            _check_route(browser, route, scene, report, catalog)
            transaction.set_rollback(True)


def _check_route(
    browser: Client,
    route: Route,
    scene: Scene,
    report: Report,
    catalog: EnglishCatalog,
) -> None:
    urls = urls_for(route, scene)
    data = data_values(scene)  # after the route's samples exist: their names are data too
    for url in urls:
        response = browser.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            continue
        content_type = response.get("Content-Type", "")
        if not content_type.startswith("text/html") or getattr(response, "streaming", False):
            continue
        if response.status_code >= 500:
            report.problems.append(f"{url} ({response.status_code}): server error in Hebrew")
            continue
        if not response.content.strip():
            continue  # e.g. 405 for a POST-only address: no page to read
        page = read_page(response.content.decode(response.charset or "utf-8"))
        report.checked.append(f"{url} ({response.status_code})")
        if (page.html_lang, page.html_dir) != ("he", "rtl"):
            report.problems.append(
                f"{url} ({response.status_code}): <html lang={page.html_lang!r} dir={page.html_dir!r}>, "
                "expected lang='he' dir='rtl'"
            )
        if url.startswith(THIRD_PARTY_UI_PREFIXES):
            continue
        for msgid, seen in catalog.find(mask_data(page.text, data)):
            shown = f" (shown as {seen!r})" if seen != msgid else ""
            report.problems.append(f"{url} ({response.status_code}): English {msgid!r}{shown}")


@pytest.mark.parametrize("who", PERSONAS)
def test_hebrew_pages_have_rtl_markup_and_no_english_from_the_catalog(
    world: World, who: str
) -> None:
    scene = build_scene(world, who)
    browser = visitor(scene.user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "he"
    report = Report()

    check_pages(browser, scene, report)

    # The walk must have reached the visitor's own home, still signed in as them.
    assert f"{OWN_PAGE[who]} (200)" in report.checked, report.checked
    if scene.user is not None:
        assert str(browser.session.get("_auth_user_id")) == str(scene.user.pk), (
            "a GET signed the visitor out"
        )
    assert len(report.checked) >= 5, report.checked
    assert not report.problems, (
        f"{len(report.problems)} problem(s) on {len(report.checked)} Hebrew pages seen by {who}:\n  "
        + "\n  ".join(report.problems)
    )


def test_routes_with_parameters_have_real_samples() -> None:
    """A new page with parameters gets real objects here, or is listed as not needing them."""
    missing = [
        f"{route.route} ({route.name})"
        for route in all_routes()
        if route.parameters
        and route.name
        and route.name not in ROUTE_SAMPLES
        and route.route not in security_table_args()
        and route.name not in WITHOUT_REAL_SAMPLES
        and not (route.name.startswith("admin:") and "object_id" in route.parameters)
    ]
    assert not missing, (
        "add these routes to ROUTE_SAMPLES in tests/i18n/test_hebrew_pages.py: "
        + ", ".join(missing)
    )


def test_walk_finds_the_pages_of_every_area() -> None:
    routes = {route.route for route in all_routes()}
    for expected in ("", "coach/", "client/", "admin-area/", "accounts/login/", "account/"):
        assert expected in routes
    assert not any(route.startswith("api/") for route in routes)


def test_a_page_left_in_english_is_reported(world: World) -> None:
    """The check itself can fail: an English page (no language set) is caught."""
    scene = build_scene(world, "coach")
    scene.user.language = "en"  # type: ignore[union-attr]
    scene.user.save(update_fields=["language"])  # type: ignore[union-attr]
    browser = visitor(scene.user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    report = Report()
    home = tuple(route for route in all_routes() if route.name == "coach:home")

    check_pages(browser, scene, report, routes=home)

    assert report.checked == ["/coach/ (200)"]
    assert any("<html lang='en' dir='ltr'>" in problem for problem in report.problems)
    assert any(": English " in problem for problem in report.problems), report.problems
