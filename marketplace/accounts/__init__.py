"""People: registration, e-mail confirmation, log-in, passwords and e-mail changes."""
