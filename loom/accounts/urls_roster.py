from django.urls import path

from loom.accounts import views_roster as views

urlpatterns = [
    path("", views.roster, name="roster"),
]
