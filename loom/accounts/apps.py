from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "loom.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from loom.accounts import receivers  # noqa: F401  (audit of allauth events)
        from loom.accounts.sms import deliver_outbox_sms, summarize_outbox_sms
        from loom.core.outbox import outbox_register_channel

        outbox_register_channel("sms", deliver=deliver_outbox_sms, summarize=summarize_outbox_sms)

        from loom.core.key_rotation import encrypted_json_register

        # Our MFA adapter encrypts allauth's TOTP secret and recovery-code seed with
        # FIELD_ENCRYPTION_KEYS: key rotation must re-encrypt them too.
        encrypted_json_register(model="mfa.Authenticator", field="data", keys=("secret", "seed"))
