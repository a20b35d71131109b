"""The websocket commands of messaging, registered with ``loom.core.consumers``."""


def register() -> None:
    """Register the commands (called from ``MessagingConfig.ready``)."""
