"""Shared plumbing with no domain of its own: UI markdown, atomic file writes."""
