"""Persistence: the database handle, models, full-text index and migrations."""
