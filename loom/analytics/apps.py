from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "loom.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Product events from the other apps' writes (analytics reads them; they do not
        # know it exists); receivers_nps forgets a cached "no survey due" when a session
        # is completed. The dashboards' tables are imported so an export task finds them
        # by key.
        from loom.analytics import (  # noqa: F401
            receivers,
            receivers_nps,
            tables_admin,
            tables_coach,
            tables_nps,
        )
