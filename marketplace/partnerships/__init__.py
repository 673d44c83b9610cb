"""Samverkansöverenskommelse: a shared agreement between the two parties of a conversation."""
