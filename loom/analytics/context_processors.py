"""The NPS survey offered to the signed-in person (``nps_survey``, read by base.html).

The survey is worked out only when a template reads ``nps_survey`` (base.html does, at
the end of ``<main>``), so fragments, emails and JSON never pay for it; then it comes
from the per-person cache (``loom.analytics.nps.nps_offer_cached``): no query at all
for someone with nothing due, once cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from loom.accounts.safety import SESSION_KEY as CRISIS_PANEL_KEY
from loom.analytics.nps import COMMENT_MAX, SCORES, NpsOffer, nps_offer_cached

# Where the survey never shows: the survey's own pages, onboarding, and the crisis
# support pages (someone reading crisis lines is not asked to rate the product).
QUIET_NAMESPACES = frozenset({"analytics_nps", "onboarding", "safety"})
# And single pages: someone asking to delete their account is not asked to recommend
# Loom (and the survey's form would sit under the deletion form).
QUIET_VIEWS = frozenset({"account:delete_request"})


@dataclass(frozen=True)
class SurveyPanel:
    offer: NpsOffer
    next_url: str
    scores: range = SCORES
    comment_max: int = COMMENT_MAX


class _LazySurvey:
    """Called by the template engine when ``nps_survey`` is read; remembered per render."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._done = False
        self._panel: SurveyPanel | None = None

    def __call__(self) -> SurveyPanel | None:
        if not self._done:
            self._done = True
            self._panel = survey_panel_for(self._request)
        return self._panel


def survey_panel_for(request: HttpRequest) -> SurveyPanel | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.method not in ("GET", "HEAD"):
        return None
    match = getattr(request, "resolver_match", None)
    if match is None or set(match.namespaces) & QUIET_NAMESPACES:
        return None
    if match.view_name in QUIET_VIEWS:
        return None
    offer = nps_offer_cached(user)
    if offer is None:
        return None
    return SurveyPanel(offer=offer, next_url=request.get_full_path())


def nps_survey(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nps_survey": None}
    session = getattr(request, "session", None)
    # A crisis support panel waiting to be shown on this page takes the page alone
    # (read before the layout renders and takes it).
    if session is not None and CRISIS_PANEL_KEY in session:
        return {"nps_survey": None}
    return {"nps_survey": _LazySurvey(request)}
