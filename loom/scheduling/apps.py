from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "loom.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
