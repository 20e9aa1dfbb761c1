"""sabi: Search Anime By Image."""

__version__ = "0.1.0"
