from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "loom.core"
    label = "core"
    verbose_name = "Loom core"

    def ready(self) -> None:
        from loom.core import checks, rls  # noqa: F401  (registers checks and DB hooks)
