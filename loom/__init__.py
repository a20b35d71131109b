"""Loom — an open-source coaching platform."""
