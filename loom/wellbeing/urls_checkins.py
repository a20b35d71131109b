"""URLs of the wellbeing_checkins namespace (full paths: included at the root)."""

from django.urls import URLPattern, path

from loom.wellbeing import views_checkins as views

app_name = "wellbeing_checkins"

urlpatterns: list[URLPattern] = [
    path("checkins/", views.checkin_list, name="list"),
    path("checkins/new/", views.checkin_new, name="new"),
    path("checkins/<int:checkin_id>/", views.checkin_detail, name="detail"),
    path("checkins/<int:checkin_id>/edit/", views.checkin_edit, name="edit"),
    path("checkins/<int:checkin_id>/delete/", views.checkin_delete, name="delete"),
]
