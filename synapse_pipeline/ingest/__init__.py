"""Ingest: the ERP exports found, profiled, read, cleaned and validated; the raw and load assets; their sensors."""
