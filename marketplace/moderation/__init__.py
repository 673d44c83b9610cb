"""Moderation: reports about ads, organisations and messages, the queue, decisions and their log."""
