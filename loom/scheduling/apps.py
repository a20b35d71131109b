from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "loom.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from loom.scheduling.reminders import register_outbox_channels

        # The post-session follow-up is delivered through the outbox on its own channel.
        register_outbox_channels()
