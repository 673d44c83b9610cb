"""Collaboration ads: needs, offers and ideas posted by organisations."""
