"""Catalogue: what the stored vectors belong to (shows, episodes), kept in SQL."""

from sabi.catalog.db import Catalog, CatalogStats, EpisodeView, upgrade_schema

__all__ = ["Catalog", "CatalogStats", "EpisodeView", "upgrade_schema"]
