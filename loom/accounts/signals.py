"""Signals other apps listen to; accounts may not import them (one-way dependencies)."""

from django.dispatch import Signal

# Sent inside the archiving transaction with ``coach``, ``client`` and ``at`` (the
# moment): apps that hold places for the client with that coach release them.
client_archived = Signal()

# Sent inside the accepting transaction with ``coach``, ``client`` and ``at`` when a
# client joins a coach's roster for the first time: apps give the newcomer what the
# coach set aside for every new client.
client_joined = Signal()
