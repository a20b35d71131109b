from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "loom.resources"
    label = "resources"
    verbose_name = "Resources"

    def ready(self) -> None:
        from loom.accounts.signals import client_joined
        from loom.resources.receivers import auto_share_on_join

        # A client who joins a coach receives what that coach marked "share with
        # every new client", in the same transaction as the link.
        client_joined.connect(auto_share_on_join, dispatch_uid="resources-auto-share")
