from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "loom.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from loom.core.notices import CHANNEL as NOTICE_CHANNEL
        from loom.core.notices import notices_seen_signal
        from loom.core.outbox import outbox_register_channel
        from loom.notifications import dispatch, push
        from loom.notifications.services import (
            deliver_in_app,
            notices_seen_receive,
            summarize_in_app,
        )
        from loom.scheduling.reminders import IN_APP_CHANNEL

        # In-app notices travel through the outbox like email and SMS, so a rolled-back
        # change creates none and a redelivery creates one (the row's source is unique).
        # The "in_app" channel stays for rows queued before notices existed.
        outbox_register_channel(IN_APP_CHANNEL, deliver=deliver_in_app, summarize=summarize_in_app)
        outbox_register_channel(
            NOTICE_CHANNEL, deliver=dispatch.deliver_notice, summarize=dispatch.summarize_notice
        )
        outbox_register_channel(
            dispatch.EMAIL_CHANNEL,
            deliver=dispatch.deliver_notice_email,
            summarize=dispatch.summarize_notice_email,
        )
        outbox_register_channel(
            dispatch.SMS_CHANNEL,
            deliver=dispatch.deliver_notice_sms,
            summarize=dispatch.summarize_notice_sms,
        )
        push.register()
        notices_seen_signal.connect(notices_seen_receive, dispatch_uid="notifications.notices_seen")
