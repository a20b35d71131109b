"""Machinery of the authorization matrix: actors, outcomes, routes, and how one is checked.

The table itself is in ``tests/security/routes.py``; the tests that walk every URL
pattern and run the table are in ``test_authorization_matrix.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from loom.accounts.permissions import home_url_name
from tests.world import World

# --- Actors ----------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
COACH = "coach"  # Dana, who owns the objects the table's factories build
OTHER_COACH = "other_coach"  # Eli: every object of Dana's or Avi's is foreign to him
CLIENT = "client"  # Avi, Dana's client
OTHER_CLIENT = "other_client"  # Maya, Eli's client
ADMIN = "admin"
ACTORS = (ANONYMOUS, COACH, OTHER_COACH, CLIENT, OTHER_CLIENT, ADMIN)

_WORLD_NAMES = {
    COACH: "dana",
    OTHER_COACH: "eli",
    CLIENT: "avi",
    OTHER_CLIENT: "maya",
    ADMIN: "admin",
}


def actor_user(world: World, actor: str) -> Any:
    return None if actor == ANONYMOUS else getattr(world, _WORLD_NAMES[actor])


# --- Outcomes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """An expected response: a status, and for redirects where they lead.

    ``to`` is ``SIGN_IN`` (the sign-in page, with ``next``), ``OWN_HOME`` (the
    actor's own role home), a URL name, or ``None`` for "any place".
    """

    status: int
    to: str | None = None

    def __str__(self) -> str:
        return f"{self.status} → {self.to}" if self.to else str(self.status)


OK = Outcome(200)
CREATED = Outcome(201)
BAD_REQUEST = Outcome(400)
UNAUTHORIZED = Outcome(401)
FORBIDDEN = Outcome(403)
NOT_FOUND = Outcome(404)
NOT_ALLOWED = Outcome(405)
GONE = Outcome(410)
CONFLICT = Outcome(409)
UNPROCESSABLE = Outcome(422)
SIGN_IN = "<sign-in>"
OWN_HOME = "<own home>"
LOGIN = Outcome(302, SIGN_IN)
HOME = Outcome(302, OWN_HOME)


def redirect(to: str | None = None) -> Outcome:
    """A redirect to URL name ``to`` (or anywhere, when ``None``)."""
    return Outcome(302, to)


Expectation = Mapping[str, Outcome]


def expect(default: Outcome | None = None, **per_actor: Outcome) -> dict[str, Outcome]:
    """Outcome per actor: the named ones, and ``default`` for the rest (all must be given)."""
    unknown = set(per_actor) - set(ACTORS)
    if unknown:
        raise ValueError(f"Unknown actors {sorted(unknown)}; use {ACTORS}")
    table = {actor: per_actor.get(actor, default) for actor in ACTORS}
    missing = [actor for actor, outcome in table.items() if outcome is None]
    if missing:
        raise ValueError(f"No outcome for {missing}")
    return table  # type: ignore[return-value]


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return expect(outcome)


def signed_in(
    outcome: Outcome, *, anonymous: Outcome = LOGIN, **overrides: Outcome
) -> dict[str, Outcome]:
    """Any signed-in person gets ``outcome``; anonymous visitors are sent to sign in."""
    return expect(outcome, anonymous=anonymous, **overrides)


def coaches(
    outcome: Outcome, *, other_coach: Outcome | None = None, **overrides: Outcome
) -> dict[str, Outcome]:
    """A coach-only page: coaches get ``outcome`` (Eli ``other_coach`` for Dana's objects),
    clients and admins are sent to their own home, anonymous visitors to sign in."""
    return expect(
        HOME,
        anonymous=LOGIN,
        coach=outcome,
        other_coach=other_coach or outcome,
        **overrides,
    )


def clients(
    outcome: Outcome, *, other_client: Outcome | None = None, **overrides: Outcome
) -> dict[str, Outcome]:
    return expect(
        HOME,
        anonymous=LOGIN,
        client=outcome,
        other_client=other_client or outcome,
        **overrides,
    )


def admins(outcome: Outcome, **overrides: Outcome) -> dict[str, Outcome]:
    return expect(HOME, anonymous=LOGIN, admin=outcome, **overrides)


# --- Routes ----------------------------------------------------------------------------------

Args = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """One URL pattern and what each actor gets from it.

    ``pattern`` is the full route as ``get_resolver()`` spells it (e.g.
    ``"coach/clients/<int:client_id>/"``). ``get`` and ``post`` are required; ``other``
    lists further methods (the API's PATCH, …). ``args`` builds the URL's arguments:
    objects that belong to Dana (the coach) or Avi (her client), so that Eli and Maya
    prove a foreign id is a 404. ``missing`` names the actor who owns those objects:
    for them the same URL with ids that do not exist must be a 404 too. ``data`` is
    the body of unsafe methods (default: an empty form, or ``{}`` for the API) — give a
    valid one where validation would otherwise answer before authorization can.
    """

    pattern: str
    get: Expectation
    post: Expectation
    args: Args | None = None
    other: Mapping[str, Expectation] = field(default_factory=dict)
    missing: str | None = None
    data: Mapping[str, Any] | None = None
    note: str = ""

    def methods(self) -> dict[str, Expectation]:
        return {"GET": self.get, "POST": self.post, **self.other}


@dataclass(frozen=True)
class Sample:
    """One concrete path checked for a group of third-party routes."""

    path: str
    get: Expectation
    post: Expectation


@dataclass(frozen=True)
class Group:
    """Third-party routes under ``prefix`` (allauth, django-admin), checked through samples.

    Every pattern under the prefix counts as known; ``samples`` are the concrete paths
    requested per actor. Loom's own routes are never grouped.
    """

    prefix: str
    samples: tuple[Sample, ...]
    note: str = ""


# --- Enumeration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None
    methods: frozenset[str] | None  # known for API operations; None for Django views


def _api_methods(callback: Any) -> frozenset[str] | None:
    from ninja.operation import PathView

    for cell in getattr(callback, "__closure__", None) or ():
        contents = cell.cell_contents
        if isinstance(contents, PathView):
            return frozenset(
                method for operation in contents.operations for method in operation.methods
            )
    return None


def url_patterns() -> list[Pattern]:
    """Every URL pattern of the project, included resolvers and API routes walked through."""
    found: dict[str, Pattern] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Pattern]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}{entry.name}" if entry.name else None
                yield Pattern(prefix + str(entry.pattern), name, _api_methods(entry.callback))

    for pattern in walk(get_resolver().url_patterns, "", ""):
        # Two API operations on one path (GET and PATCH /me) are one pattern.
        if pattern.route not in found:
            found[pattern.route] = pattern
    return list(found.values())


_PARAMETER = re.compile(r"<(?:[a-z]+:)?(\w+)>")


def build_path(pattern: str, args: Mapping[str, Any]) -> str:
    """The concrete path for a ``path()``-style pattern and its arguments."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in args:
            raise KeyError(f"{pattern}: no value for <{name}>; give the route an args factory")
        return str(args[name])

    return "/" + _PARAMETER.sub(value, pattern)


# --- Running ---------------------------------------------------------------------------------


def classify(response: HttpResponseBase, actor: Any) -> tuple[int, str | None]:
    """The response as (status, where it redirects to in the table's terms)."""
    status = response.status_code
    if status not in (301, 302, 303, 307, 308):
        return status, None
    location = urlsplit(response["Location"]).path
    if location == reverse("account_login"):
        return 302, SIGN_IN
    if actor is not None and location == reverse(home_url_name(actor)):
        return 302, OWN_HOME
    return 302, location


def matches(outcome: Outcome, observed: tuple[int, str | None]) -> bool:
    status, to = observed
    if outcome.status != status:
        return False
    if outcome.status != 302 or outcome.to is None:
        return True
    if outcome.to in (SIGN_IN, OWN_HOME) or to in (SIGN_IN, OWN_HOME) or to is None:
        return to == outcome.to
    try:
        # A URL name, whatever the arguments: "coach:client" matches /coach/clients/7/.
        return bool(resolve(to).view_name == outcome.to)
    except Resolver404:
        return False


def request_as(
    world: World, actor: str, method: str, path: str, data: Mapping[str, Any] | None = None
) -> tuple[int, str | None] | str:
    """One request, rolled back afterwards; an exception is returned as text."""
    user = actor_user(world, actor)
    cache.clear()  # throttles and cached policies must not carry over between actors
    with transaction.atomic():
        client = Client()
        if user is not None:
            client.force_login(user)
        try:
            response = _send(client, method, path, data)
        except Exception as exc:
            result: tuple[int, str | None] | str = f"raised {type(exc).__name__}: {exc}"
        else:
            result = classify(response, user)
            if response.streaming:
                # Consuming it runs the test client's own closing wrapper. Calling
                # close() here would fire request_finished, whose handler closes the
                # database connection inside the test's transaction.
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
        transaction.set_rollback(True)
    return result


def _send(
    client: Client, method: str, path: str, data: Mapping[str, Any] | None
) -> HttpResponseBase:
    if path.startswith("/api/"):
        body = "" if method == "GET" else json.dumps(data or {})
        return client.generic(method, path, body, content_type="application/json")
    if method == "GET":
        return client.get(path)
    if method == "POST":
        return client.post(path, dict(data or {}))
    return client.generic(method, path)


def describe(observed: tuple[int, str | None] | str) -> str:
    if isinstance(observed, str):
        return observed
    status, to = observed
    return f"{status} → {to}" if to else str(status)
