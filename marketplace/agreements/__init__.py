"""The regional Överenskommelser between regions and the idea-driven sector, and their signatories."""
