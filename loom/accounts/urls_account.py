from django.urls import path

from loom.accounts import views_account as views

app_name = "account"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("coaching-profile/", views.coach_profile, name="coach_profile"),
    path("avatar/<int:user_id>/", views.avatar, name="avatar"),
    path("language/", views.set_language, name="set_language"),
    path("delete/", views.delete_request, name="delete_request"),
]
