"""The monthly report: its figures, formatting, charts and templates, storage, the report asset and schedule."""
