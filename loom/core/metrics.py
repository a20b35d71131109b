"""Request metrics: Prometheus counters (``/metrics``) and the operations dashboard's
windowed store (``loom.core.ops``), both fed by ``MetricsMiddleware``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from prometheus_client import Counter, Histogram

from loom.core.ops import LATENCY_BUCKETS, observation, ops_record

REQUEST_LATENCY = Histogram(
    "loom_http_request_duration_seconds",
    "Time to produce a response, by route and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
RESPONSES = Counter(
    "loom_http_responses_total",
    "Responses by route, method and status class.",
    ["route", "method", "status"],
)
ERRORS = Counter("loom_http_errors_total", "Responses with a 5xx status, by route.", ["route"])

# The methods counted by name. The method is whatever the client sends ("GETX", a
# random string per request): as a Prometheus label it would add a series per value,
# kept for the life of the process, so any other method is counted as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Where the class of an unhandled exception waits for the middleware to record it.
_EXCEPTION_ATTR = "_loom_exception_class"


def _route(request: HttpRequest) -> str:
    """The URL name the request was for. A middleware that answers before the view (a
    sign-in redirect, the input check's 400) leaves no ``resolver_match``: resolve the
    path then, so those responses count under their page rather than "unresolved"
    (which stays for paths that match no route: 404s)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        except Resolver404:
            return "unresolved"
        except Exception:  # a broken urlconf must not break the response on its way out
            return "unresolved"
    return match.view_name or match.route or "unnamed"


@receiver(got_request_exception, dispatch_uid="loom.core.metrics.remember_exception")
def _remember_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Keep the class name (never the message: it may quote input) of the exception that
    is about to become a 500, for the recent errors on the operations dashboard."""
    exc_type = sys.exc_info()[0]
    if request is not None and exc_type is not None:
        setattr(request, _EXCEPTION_ATTR, f"{exc_type.__module__}.{exc_type.__qualname__}")


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = _route(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        REQUEST_LATENCY.labels(route, method).observe(elapsed)
        status_class = f"{response.status_code // 100}xx"
        RESPONSES.labels(route, method, status_class).inc()
        if response.status_code >= 500:
            ERRORS.labels(route).inc()
        ops_record(
            observation(
                route=route,
                status=response.status_code,
                seconds=elapsed,
                request_id=getattr(request, "request_id", ""),
                exception=getattr(request, _EXCEPTION_ATTR, ""),
            )
        )
        return response
