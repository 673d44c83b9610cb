"""Versioned, read-only JSON API for other systems (/api/v1)."""
