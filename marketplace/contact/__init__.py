"""Contact between organisations: "Visa intresse" on an ad, conversations and the inbox."""
