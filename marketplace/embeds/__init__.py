"""Embeds: a small page of newest ads that regional sites may show in an iframe, and its snippet."""
