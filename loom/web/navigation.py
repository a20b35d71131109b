"""The navigation bar for each role. Later issues add their sections here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str
    # Items with a live count: which count (static/js/stream.js updates the link), the
    # plain name for the link's accessible name, and that name with the count.
    badge: str = ""
    plain_label: str | Promise = ""
    aria_label: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)


COACH_NAV = (
    NavItem(_("Home"), "coach:home", "home"),
    NavItem(_("Clients"), "coach:roster", "users"),
    NavItem(_("Sessions"), "scheduling_coach:today", "clock"),
    NavItem(_("Group sessions"), "scheduling_groups:coach_list", "users"),
    NavItem(_("Library"), "resources_library:library", "book"),
    NavItem(_("Journal prompts"), "journal_coach:prompts", "book"),
    NavItem(_("Analytics"), "analytics_coach:dashboard", "grid"),
    NavItem(_("Scheduling setup"), "scheduling_setup:types", "settings"),
)
CLIENT_NAV = (
    NavItem(_("Home"), "client:home", "home"),
    NavItem(_("Sessions"), "scheduling_client:list", "clock"),
    NavItem(_("Book a session"), "scheduling_client:book", "calendar"),
    NavItem(_("Group sessions"), "scheduling_groups:client_list", "users"),
    NavItem(_("Resources"), "resources_client:library", "book"),
    NavItem(_("Journal"), "journal:list", "book"),
    NavItem(_("Check-ins"), "wellbeing_checkins:list", "calendar"),
    NavItem(_("Goals"), "wellbeing_goals:list", "grid"),
    NavItem(_("Progress"), "wellbeing_progress:dashboard", "grid"),
)
ADMIN_NAV = (
    NavItem(_("Overview"), "admin_area:home", "home"),
    NavItem(_("KPIs"), "analytics_admin:kpis", "grid"),
    NavItem(_("Operations"), "analytics_admin:operations", "clock"),
    NavItem(_("Business"), "analytics_admin:business", "grid"),
    NavItem(_("NPS survey"), "analytics_nps:admin", "users"),
    NavItem(_("Components"), "admin_area:components", "grid"),
    NavItem(_("Outbox"), "admin_area:outbox", "inbox"),
    NavItem(_("Safety review"), "safety:review", "inbox"),
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
    return (*role_nav, _messages_item(user), _notifications_item(user), *ACCOUNT_NAV)


def _counted_item(name: Promise, url_name: str, icon: str, badge: str, count: int) -> NavItem:
    if not count:
        return NavItem(name, url_name, icon, badge=badge, plain_label=name)
    unread = ngettext("%(count)d unread", "%(count)d unread", count) % {"count": count}
    label = format_html(
        '{} <span class="badge badge-info nav-count" aria-hidden="true">{}</span>'
        '<span class="visually-hidden nav-count-text"> ({})</span>',
        name,
        count,
        unread,
    )
    aria_label = gettext("%(label)s, %(count)s unread") % {"label": name, "count": count}
    return NavItem(label, url_name, icon, badge=badge, plain_label=name, aria_label=aria_label)


def _notifications_item(user: Any) -> NavItem:
    """The "Notifications" entry, with the unread count as a badge (cached briefly)."""
    from loom.notifications.selectors import unread_count

    return _counted_item(
        _("Notifications"), "notifications:list", "bell", "notifications", unread_count(user)
    )


def _messages_item(user: Any) -> NavItem:
    """The "Messages" entry, with the number of unread messages (one query)."""
    from loom.messaging.selectors import unread_total

    return _counted_item(_("Messages"), "messaging:inbox", "inbox", "messages", unread_total(user))
