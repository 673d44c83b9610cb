"""Bulk import of organisations and ads from a JSON file (`flask import-data`)."""
