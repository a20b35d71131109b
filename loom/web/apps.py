from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "loom.web"
    label = "web"
    verbose_name = "Web"
