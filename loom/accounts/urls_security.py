"""Sign-in security pages, mounted at /account/security/ (namespace ``security``)."""

from django.urls import path

from loom.accounts import views_security as views

app_name = "security"

urlpatterns = [
    path("", views.overview, name="index"),
    path("mfa/", views.mfa_setup, name="mfa_setup"),
    path("sign-in/verify/", views.mfa_authenticate, name="mfa_authenticate"),
    path("sms/", views.sms_settings, name="sms"),
    path("sms/phone/", views.sms_phone_start, name="sms_phone_start"),
    path("sms/phone/confirm/", views.sms_phone_confirm, name="sms_phone_confirm"),
    path("sms/phone/remove/", views.sms_phone_remove, name="sms_phone_remove"),
    path("sms/enable/", views.sms_enable, name="sms_enable"),
    path("sms/disable/", views.sms_disable, name="sms_disable"),
    path("trusted-browser/forget/", views.trusted_browser_forget, name="trust_forget"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:pk>/end/", views.session_end, name="session_end"),
    path("sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("changed/", views.changed, name="changed"),
    path("keepalive/", views.keepalive, name="keepalive"),
]
