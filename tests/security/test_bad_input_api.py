"""Bad input to the JSON API gets a 4xx problem-details document and writes nothing.

Every endpoint that takes a body (PATCH /me, POST /coach/invitations, POST
/scheduling/session-types, PUT /scheduling/availability) is sent, field by
field, 10,000 characters, NUL bytes, wrong types (numbers, booleans, arrays, objects,
null), and, for the whole body: invalid JSON, invalid UTF-8, deep nesting, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, the wrong content type and no body at all. Query
parameters of the list endpoint get wrong types and out-of-range numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from loom.accounts.models import SecurityPolicy
from tests.conftest import signed_in
from tests.security.bad_input import (
    LONG,
    assert_nothing_written,
    assert_problem,
    snapshot,
    with_nul,
    written_since,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    SecurityPolicy.current()
    yield
    cache.clear()


# (method, path, a valid body, its text fields, malformed values per field)
ENDPOINTS = (
    (
        "patch",
        "/api/v1/me",
        {"full_name": "Dana Levi-Shapiro", "language": "he", "timezone": "Europe/Paris"},
        ("full_name", "language", "timezone"),
        {
            "language": ("xx", "EN", ""),
            "timezone": ("Mars/Olympus_Mons", "../../etc/passwd", ""),
            "full_name": ("", "   "),
        },
    ),
    (
        "post",
        "/api/v1/coach/invitations",
        {
            "email": "new.person@example.com",
            "full_name": "New Person",
            "language": "en",
            "message": "Welcome!",
        },
        ("email", "full_name", "language", "message"),
        {
            "email": (
                "not-an-email",
                "a@",
                "@example.com",
                "a b@example.com",
                "",
                "dana@example.com",
            ),
            "language": ("xx", ""),
        },
    ),
    (
        "post",
        "/api/v1/scheduling/session-types",
        {
            "name_en": "Intro call",
            "name_he": "שיחת היכרות",
            "description_en": "A first conversation.",
            "duration_minutes": 30,
            "currency": "USD",
        },
        ("name_en", "name_he", "description_en", "currency"),
        {
            "name_en": ("", "   "),
            "duration_minutes": (0, -1, 5000, "sixty", None),
            "currency": ("US", "12$", ""),
            "price": ("-1", "NaN", "1e999"),
            "location_kind": ("moon", ""),
            "booking_mode": ("anything",),
            "colour": ("red", "#12345g"),
            "booking_horizon_days": (0, 10_000),
        },
    ),
    (
        "put",
        "/api/v1/scheduling/availability",
        {"weekly": [{"weekday": 0, "start": "09:00", "end": "17:00"}]},
        (),
        {
            "weekly": (
                [{"weekday": 7, "start": "09:00", "end": "17:00"}],
                [{"weekday": 0, "start": "17:00", "end": "09:00"}],
                [{"weekday": 0, "start": "25:00", "end": "26:00"}],
                [
                    {"weekday": 0, "start": "09:00", "end": "12:00"},
                    {"weekday": 0, "start": "11:00", "end": "13:00"},
                ],
                [{"weekday": 0, "start": "09:00", "end": "17:00"}] * 1000,
                "09:00-17:00",
            ),
        },
    ),
)
WRONG_TYPES: tuple[Any, ...] = (12345, 1.5, True, ["a", "b"], {"a": "b"}, [{"$gt": ""}])


def _send(
    client: Any, method: str, path: str, body: bytes | str, content_type: str = "application/json"
) -> Any:
    return getattr(client, method)(path, body, content_type=content_type)


def _cases() -> list[Any]:
    params = []
    for method, path, valid, text, bad in ENDPOINTS:
        for name in text:
            params.append(
                pytest.param(method, path, {**valid, name: LONG}, id=f"{path}-{name}-10000-chars")
            )
            params.append(
                pytest.param(
                    method, path, {**valid, name: with_nul(valid[name])}, id=f"{path}-{name}-NUL"
                )
            )
            for index, value in enumerate(WRONG_TYPES):
                params.append(
                    pytest.param(
                        method, path, {**valid, name: value}, id=f"{path}-{name}-type{index}"
                    )
                )
        for name, values in bad.items():
            for value in values:
                params.append(
                    pytest.param(
                        method, path, {**valid, name: value}, id=f"{path}-{name}={value!r}"
                    )
                )
        if method == "post":
            for name in [key for key in ("email", "name_en") if key in valid]:
                rest = {key: value for key, value in valid.items() if key != name}
                params.append(pytest.param(method, path, rest, id=f"{path}-{name}-missing"))
        params.append(pytest.param(method, path, [valid], id=f"{path}-array-body"))
        params.append(pytest.param(method, path, "a string", id=f"{path}-string-body"))
        params.append(pytest.param(method, path, None, id=f"{path}-null-body"))
    return params


@pytest.mark.parametrize(
    ("method", "path", "valid", "text", "bad"), ENDPOINTS, ids=[e[1] for e in ENDPOINTS]
)
def test_the_valid_body_is_accepted(world, method, path, valid, text, bad):
    client = signed_in(world.dana)
    before = snapshot()
    response = _send(client, method, path, json.dumps(valid))
    assert response.status_code in (200, 201), response.content
    assert written_since(before)


@pytest.mark.parametrize(("method", "path", "body"), _cases())
def test_bad_fields_get_a_problem_and_write_nothing(world, method, path, body):
    client = signed_in(world.dana)
    before = snapshot()
    response = _send(client, method, path, json.dumps(body))
    assert_problem(response, path)
    assert response.status_code in (400, 409, 422), response.status_code
    assert_nothing_written(before, path)


def _nested(depth: int) -> str:
    return '{"full_name": ' + "[" * depth + "]" * depth + "}"


RAW_BODIES = (
    pytest.param(b"{", "application/json", id="truncated-json"),
    pytest.param(b"{'full_name': 'x'}", "application/json", id="single-quoted"),
    pytest.param(b'{"full_name": "x",}', "application/json", id="trailing-comma"),
    pytest.param(b"", "application/json", id="empty"),
    pytest.param(b"null", "application/json", id="null"),
    pytest.param(b'{"full_name": NaN}', "application/json", id="nan"),
    pytest.param(b'{"full_name": 1e999}', "application/json", id="infinite-number"),
    pytest.param(b'{"full_name": "\xff\xfe"}', "application/json", id="invalid-utf8"),
    pytest.param(b'{"full_name": "\\ud800"}', "application/json", id="lone-surrogate-escape"),
    pytest.param(b'{"full_name": "a\\u0000b"}', "application/json", id="escaped-nul"),
    pytest.param(_nested(100_000).encode(), "application/json", id="nested-100000-deep"),
    pytest.param(
        b'{"full_name": "' + b"x" * 3_000_000 + b'"}', "application/json", id="over-upload-limit"
    ),
    pytest.param(
        b'{"full_name": "x", "full_name": "' + b"y" * 10_000 + b'"}',
        "application/json",
        id="duplicate-keys",
    ),
    pytest.param(b"full_name=x", "application/x-www-form-urlencoded", id="form-encoded"),
    pytest.param(
        b"full_name=%ff", "application/x-www-form-urlencoded", id="form-encoded-invalid-utf8"
    ),
    pytest.param(b'{"full_name": "x"}', "text/plain", id="text-plain"),
    pytest.param(b'{"full_name": "x"}', "application/xml", id="xml"),
    pytest.param(
        b'--b\r\nContent-Disposition: form-data; name="full_name"\r\n\r\nx\r\n--b--',
        "multipart/form-data; boundary=b",
        id="multipart",
    ),
)


@pytest.mark.parametrize(("raw", "content_type"), RAW_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/api/v1/me"),
        ("post", "/api/v1/coach/invitations"),
        ("post", "/api/v1/scheduling/session-types"),
    ],
)
def test_malformed_bodies_get_a_problem_and_write_nothing(world, method, path, raw, content_type):
    client = signed_in(world.dana)
    before = snapshot()
    response = client.generic(method.upper(), path, raw, content_type=content_type)
    assert_problem(response, f"{path} {content_type}")
    assert_nothing_written(before, path)


def test_the_upload_limit_is_what_the_oversized_body_exceeds():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 3_000_000


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=-1",
        "page=" + "9" * 30,
        "page=1.5",
        "page_size=0",
        "page_size=101",
        "page_size=abc",
        "status=deleted",
        "status=" + "x" * 10_000,
        "q=" + "x" * 10_000,
        "page=1&page=2",
        "q[]=a",
        "q[$ne]=a",
    ],
)
def test_bad_list_parameters_get_a_problem_or_are_ignored(world, query):
    client = signed_in(world.dana)
    before = snapshot()
    response = client.get(f"/api/v1/coach/clients?{query}")
    assert response.status_code < 500
    if response.status_code != 200:
        assert_problem(response, query)
    assert_nothing_written(before, query)


@pytest.mark.parametrize(
    "path", ["/api/v1/me", "/api/v1/coach/clients", "/api/v1/coach/invitations", "/api/v1/nope"]
)
@pytest.mark.parametrize("method", ["put", "delete", "options", "trace"])
def test_unsupported_methods_get_a_4xx(world, path, method):
    client = signed_in(world.dana)
    before = snapshot()
    response = getattr(client, method)(path)
    assert 400 <= response.status_code < 500, response.status_code
    assert_nothing_written(before, f"{method} {path}")


def test_problems_use_the_problem_json_type_for_each_status(world):
    """401, 403, 404, 405(?) and 422 all come as problem documents."""
    anonymous = signed_in(world.dana)
    anonymous.logout()
    assert_problem(anonymous.get("/api/v1/me"), "401", status=401)
    assert_problem(signed_in(world.avi).get("/api/v1/coach/clients"), "403", status=403)
    assert_problem(
        signed_in(world.dana).post("/api/v1/coach/clients/999999/archive"), "404", status=404
    )
    assert_problem(
        signed_in(world.dana).patch("/api/v1/me", "{", content_type="application/json"), "malformed"
    )
