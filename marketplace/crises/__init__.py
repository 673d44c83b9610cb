"""Crisis mode: declared crises, their ads, banners, pages, feeds and alerts."""
