"""Alembic migrations of the store schema (run by SqlStore.migrate())."""
