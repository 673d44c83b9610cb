"""Saved searches ("bevakningar") and the e-mail alerts they send about new ads."""
