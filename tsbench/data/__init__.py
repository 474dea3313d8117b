"""Data sources, targets, calendars and validation."""
