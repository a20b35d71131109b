from django.apps import AppConfig


class WellbeingConfig(AppConfig):
    name = "loom.wellbeing"
    label = "wellbeing"
    verbose_name = "Wellbeing"
