from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "loom.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from loom.messaging import receivers, socket_commands

        receivers.connect()
        socket_commands.register()
