"""Root URL configuration: wiring only."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from config.api import api
from loom.accounts import urls_onboarding, views_admin_sms
from loom.notifications import views_admin as notifications_admin
from loom.web import views as web_views
from loom.web import views_admin, views_gallery, views_pwa

coach_patterns: tuple[list[URLPattern | URLResolver], str] = (
    [
        path("", web_views.coach_home, name="home"),
        path("clients/", include("loom.accounts.urls_roster")),
    ],
    "coach",
)
client_patterns = ([path("", web_views.client_home, name="home")], "client")
admin_area_patterns = (
    [
        path("", web_views.admin_home, name="home"),
        path("sms/", views_admin_sms.sms_log, name="sms"),
        path("security/", views_admin_sms.security_policy, name="security"),
        path("components/", views_gallery.components, name="components"),
        path("outbox/", views_admin.outbox, name="outbox"),
        path(
            "outbox/<int:message_id>/retry/", views_admin.outbox_retry_message, name="outbox_retry"
        ),
        path("announcements/", notifications_admin.announcements, name="announcements"),
    ],
    "admin_area",
)

# Scheduling pages carry their own prefixes (coach/sessions/, client/sessions/, …) and
# come first so they are matched before the role areas' catch-alls.
scheduling_patterns = [
    path("", include(f"loom.scheduling.urls_{area}"))
    for area in ("coach", "setup", "client", "groups", "notes", "calendar")
]
# The resource library's pages likewise (coach/resources/, client/resources/, resources/).
resources_patterns = [
    path("", include(f"loom.resources.urls_{area}"))
    for area in ("files", "library", "sharing", "client", "analytics")
]

# Journal and wellbeing pages likewise carry their own prefixes (journal/, checkins/,
# goals/, progress/, coach/journal/, …), as do the safety pages (support/, admin-area/safety/).
wellbeing_patterns = [
    path("", include(module))
    for module in (
        "loom.journal.urls",
        "loom.journal.urls_coach",
        "loom.wellbeing.urls_checkins",
        "loom.wellbeing.urls_goals",
        "loom.wellbeing.urls_progress",
        "loom.wellbeing.urls_data",
        "loom.accounts.urls_safety",
    )
]
# Analytics pages likewise (admin-area/analytics/…, coach/analytics/, nps/, exports/).
analytics_patterns = [
    path("", include(f"loom.analytics.urls_{area}"))
    for area in ("admin", "coach", "nps", "exports")
]

urlpatterns = [
    *scheduling_patterns,
    *resources_patterns,
    *wellbeing_patterns,
    *analytics_patterns,
    path("", include("loom.notifications.urls")),
    path("", include("loom.messaging.urls")),
    path("push/", include("loom.notifications.urls_push")),
    path("manifest.webmanifest", views_pwa.manifest, name="manifest"),
    path("sw.js", views_pwa.service_worker, name="service_worker"),
    path("", web_views.landing, name="landing"),
    path("home/", web_views.home, name="home"),
    path("coach/", include(coach_patterns)),
    path("client/", include(client_patterns)),
    path("admin-area/", include(admin_area_patterns)),
    path("account/security/", include("loom.accounts.urls_security")),
    path("account/", include("loom.accounts.urls_account")),
    path("onboarding/", include("loom.accounts.urls_onboarding")),
    path("", include(urls_onboarding.public_urlpatterns)),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
    path("", include("loom.core.urls")),
]

# allauth answers its rate limits (sign-in, sign-up, password reset) through this view.
handler429 = "loom.accounts.views_security.throttled"
# The 400 page in the site layout (404, 403 and 500 use Django's handlers and our templates).
handler400 = "loom.core.views.bad_request"
