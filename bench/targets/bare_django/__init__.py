"""Baseline 2: Django with one view and nothing else (no apps, middleware or database)."""
