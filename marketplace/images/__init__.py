"""Images: organisation logos (uploaded, re-encoded, kept in the database) and share images."""
