"""Included under /coach/clients/ in the "coach" namespace."""

from django.urls import path

from loom.accounts import views_roster as views

urlpatterns = [
    path("", views.roster, name="roster"),
    path("invite/", views.invite, name="invite"),
    path(
        "invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"
    ),
    path(
        "invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("<int:client_id>/", views.client_detail, name="client"),
    path("<int:client_id>/archive/", views.client_archive, name="client_archive"),
    path("<int:client_id>/restore/", views.client_restore, name="client_restore"),
    path("<int:client_id>/<slug:tab>/", views.client_detail, name="client_tab"),
]
