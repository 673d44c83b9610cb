"""Insights: what ads led to (outcomes), site statistics with charts and a map, county figures."""
