"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
)
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from loom.core.errors import is_api_request, problem_response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and can answer. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and, when configured, Redis answer."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.REDIS_URL:
        import redis

        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
            )
            client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.LOOM_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if (
        token
        and header.startswith("Bearer ")
        and hmac.compare_digest(header[7:].encode(), token.encode())
    ):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and getattr(user, "role", "") == "admin")


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition. Not public: a bearer token or an admin session."""
    if not _metrics_allowed(request):
        # The same answer as a URL that does not exist: nothing to learn from probing.
        raise Http404
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


# --- Error pages -------------------------------------------------------------------------
# 404 and 403 use Django's handlers (they render 404.html / 403.html with the request).
# 500 uses Django's too: 500.html renders without any request context on purpose.


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 page in the site layout. Falls back to a bare page if the layout itself fails.

    A 400 is often a ``DisallowedHost`` or a malformed request, so the full layout (which
    reads the session, the user and the host) may not render; the answer must still be 400.
    """
    try:
        body = loader.render_to_string("400.html", request=request)
    except Exception:
        body = loader.render_to_string("400.html")
    return HttpResponseBadRequest(body)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A friendly, translated page for a form sent without a valid CSRF token (``CSRF_FAILURE_VIEW``).

    Under ``/api/`` the refusal is a problem document like every other API answer.
    """
    if is_api_request(request):
        return problem_response(403, "CSRF check failed")
    return HttpResponseForbidden(
        loader.render_to_string("403_csrf.html", {"reason": reason}, request=request)
    )
