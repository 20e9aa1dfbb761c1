"""Search: a query's frames -> nearest stored frames -> scenes (episode + time range)."""
