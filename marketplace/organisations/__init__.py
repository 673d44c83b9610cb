"""Organisations, their members and their public pages."""
