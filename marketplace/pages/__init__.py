"""Site-wide pages: the start page, health check, language switch and information pages."""
