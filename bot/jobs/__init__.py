"""Ingest work as jobs in the database, so any ingesting process can take it (issue 12)."""
