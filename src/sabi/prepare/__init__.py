"""Prepare: decode, sample, scale, cut borders, drop near-duplicates (videos and queries)."""
