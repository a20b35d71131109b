"""URLs of the wellbeing_data namespace (full paths: included at the root)."""

from django.urls import path

from loom.wellbeing import views_data as views

app_name = "wellbeing_data"

urlpatterns = [
    path("account/wellbeing-data/", views.page, name="page"),
    path("account/wellbeing-data/export.json", views.export_json, name="export_json"),
    path("account/wellbeing-data/export.zip", views.export_csv, name="export_csv"),
    path("account/wellbeing-data/delete/", views.erase, name="erase"),
]
