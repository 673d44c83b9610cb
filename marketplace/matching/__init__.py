"""Matchmaking: which open ads of other organisations complement an ad, and telling them."""
