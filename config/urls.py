"""Root URL configuration: wiring only."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from config.api import api
from loom.web import views as web_views

coach_patterns = (
    [
        path("", web_views.coach_home, name="home"),
        path("clients/", include("loom.accounts.urls_roster")),
    ],
    "coach",
)
client_patterns = ([path("", web_views.client_home, name="home")], "client")
admin_area_patterns = ([path("", web_views.admin_home, name="home")], "admin_area")

urlpatterns = [
    path("", web_views.landing, name="landing"),
    path("home/", web_views.home, name="home"),
    path("coach/", include(coach_patterns)),
    path("client/", include(client_patterns)),
    path("admin-area/", include(admin_area_patterns)),
    path("account/", include("loom.accounts.urls_account")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
    path("", include("loom.core.urls")),
]
