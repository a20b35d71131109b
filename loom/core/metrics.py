"""Prometheus metrics: request latency per route and error counts."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

REQUEST_LATENCY = Histogram(
    "loom_http_request_duration_seconds",
    "Time to produce a response, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RESPONSES = Counter(
    "loom_http_responses_total",
    "Responses by route, method and status class.",
    ["route", "method", "status"],
)
ERRORS = Counter("loom_http_errors_total", "Responses with a 5xx status, by route.", ["route"])


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = _route(request)
        method = request.method or "GET"
        REQUEST_LATENCY.labels(route, method).observe(time.perf_counter() - started)
        status_class = f"{response.status_code // 100}xx"
        RESPONSES.labels(route, method, status_class).inc()
        if response.status_code >= 500:
            ERRORS.labels(route).inc()
        return response
