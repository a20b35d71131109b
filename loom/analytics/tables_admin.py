"""The admin dashboards' tables (registered with ``loom.analytics.tables``)."""
