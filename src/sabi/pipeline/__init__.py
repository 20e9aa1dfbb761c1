"""Pipeline: the indexing run, stage by stage."""
