from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "loom.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from loom.accounts import receivers  # noqa: F401  (audit of allauth events)
