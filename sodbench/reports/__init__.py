"""Reports from results: published leaderboards, tables, plots, drift checks."""
