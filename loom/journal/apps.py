from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "loom.journal"
    label = "journal"
    verbose_name = "Practice journal"

    def ready(self) -> None:
        from loom.core.key_rotation import encrypted_file_register

        # Audio notes are stored encrypted; rotation re-encrypts them with the fields.
        encrypted_file_register(model="journal.Entry", field="audio")
