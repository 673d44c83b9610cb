"""Mina sidor: a member's home after log-in (messages, matches, ads, saved searches, next steps)."""
