from django.urls import path

from loom.accounts import views_account as views

app_name = "account"
urlpatterns = [
    path("", views.profile, name="profile"),
]
