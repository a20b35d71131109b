"""Push devices, mounted at ``push/``."""

from django.urls import path

from loom.notifications import views_push

app_name = "push"

urlpatterns = [
    path("devices/", views_push.devices, name="devices"),
    path("subscriptions/", views_push.subscribe, name="subscribe"),
    path("subscriptions/<int:subscription_id>/delete/", views_push.delete, name="delete"),
]
