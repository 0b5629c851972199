"""Ingest (归集): providers, submissions by API and file, validation, quarantine, metrics."""
