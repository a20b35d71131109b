"""The navigation bar for each role. Later issues add their sections here."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


COACH_NAV = (
    NavItem(_("Home"), "coach:home", "home"),
    NavItem(_("Clients"), "coach:roster", "users"),
)
CLIENT_NAV = (NavItem(_("Home"), "client:home", "home"),)
ADMIN_NAV = (
    NavItem(_("Overview"), "admin_area:home", "home"),
    NavItem(_("Components"), "admin_area:components", "grid"),
    NavItem(_("Outbox"), "admin_area:outbox", "inbox"),
)
ACCOUNT_NAV = (NavItem(_("Account"), "account:profile", "settings"),)


def navigation_for(request: HttpRequest) -> tuple[NavItem, ...]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ()
    role_nav = {"coach": COACH_NAV, "client": CLIENT_NAV, "admin": ADMIN_NAV}.get(user.role, ())
    return role_nav + ACCOUNT_NAV
