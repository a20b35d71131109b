"""The coach analytics' tables (registered with ``loom.analytics.tables``)."""
