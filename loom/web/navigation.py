"""The navigation bar for each role. Later issues add their sections here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


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
    NavItem(_("Sessions"), "scheduling_coach:today", "clock"),
    NavItem(_("Group sessions"), "scheduling_groups:coach_list", "users"),
    NavItem(_("Library"), "resources_library:library", "book"),
    NavItem(_("Scheduling setup"), "scheduling_setup:types", "settings"),
)
CLIENT_NAV = (
    NavItem(_("Home"), "client:home", "home"),
    NavItem(_("Sessions"), "scheduling_client:list", "clock"),
    NavItem(_("Book a session"), "scheduling_client:book", "calendar"),
    NavItem(_("Group sessions"), "scheduling_groups:client_list", "users"),
    NavItem(_("Resources"), "resources_client:library", "book"),
)
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
    if user.role == "admin":
        # Reminders and offers go to coaches and clients; admins receive no notices.
        return (*ADMIN_NAV, *ACCOUNT_NAV)
    role_nav = {"coach": COACH_NAV, "client": CLIENT_NAV}.get(user.role, ())
    return (*role_nav, _notifications_item(user), *ACCOUNT_NAV)


def _notifications_item(user: Any) -> NavItem:
    """The "Notifications" entry, with the unread count as a badge (cached briefly)."""
    from loom.notifications.selectors import unread_count

    count = unread_count(user)
    if not count:
        return NavItem(_("Notifications"), "notifications:list", "bell")
    unread = ngettext("%(count)d unread", "%(count)d unread", count) % {"count": count}
    label = format_html(
        '{} <span class="badge badge-info nav-count" aria-hidden="true">{}</span>'
        '<span class="visually-hidden"> ({})</span>',
        _("Notifications"),
        count,
        unread,
    )
    return NavItem(label, "notifications:list", "bell")
