from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "loom.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from loom.accounts.signals import client_archived
        from loom.scheduling.receivers import release_places_on_archive
        from loom.scheduling.reminders import register_outbox_channels

        # The post-session follow-up is delivered through the outbox on its own channel.
        register_outbox_channels()
        client_archived.connect(release_places_on_archive, dispatch_uid="scheduling-archive")
