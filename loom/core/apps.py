from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "loom.core"
    label = "core"
    verbose_name = _("Loom core")

    def ready(self) -> None:
        from loom.core import checks, middleware, rls  # noqa: F401  (registers checks, signal receivers, DB hooks)
        from loom.core.email import CHANNEL, deliver_email, summarize_email
        from loom.core.outbox import outbox_register_channel

        outbox_register_channel(CHANNEL, deliver=deliver_email, summarize=summarize_email)
