"""Full-text search shared by ads and organisations: Swedish-aware terms and index queries."""
