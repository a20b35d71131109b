"""Onboarding (under /onboarding/), the invitation link and the legal pages (at the root)."""

from django.urls import path

from loom.accounts import views_invitation, views_onboarding

app_name = "onboarding"
urlpatterns = [
    path("", views_onboarding.start, name="start"),
    path("coach/", views_onboarding.coach_start, name="coach"),
    path("coach/<slug:step>/", views_onboarding.coach_step, name="coach_step"),
    path("client/", views_onboarding.client_start, name="client"),
    path("client/<slug:step>/", views_onboarding.client_step, name="client_step"),
]

# Public pages without a namespace: the link in an invitation email and the documents
# that consent records refer to.
public_urlpatterns = [
    path("invite/<str:token>/", views_invitation.accept, name="invitation_accept"),
    path("legal/terms/", views_onboarding.legal_terms, name="legal_terms"),
    path("legal/privacy/", views_onboarding.legal_privacy, name="legal_privacy"),
]
