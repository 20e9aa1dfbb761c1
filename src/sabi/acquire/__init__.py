"""Acquire: find the videos to index (local files and folders; Bilibili downloads)."""
