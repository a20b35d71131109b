from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "loom.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from loom.core.outbox import outbox_register_channel
        from loom.notifications.services import deliver_in_app, summarize_in_app
        from loom.scheduling.reminders import IN_APP_CHANNEL

        # In-app notices travel through the outbox like email and SMS, so a rolled-back
        # change creates none and a redelivery creates one (the row's source is unique).
        outbox_register_channel(IN_APP_CHANNEL, deliver=deliver_in_app, summarize=summarize_in_app)
