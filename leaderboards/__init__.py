"""The MINet paper's Tables II-IV as data, shipped as ``sodbench.reports.leaderboard_data``.

Read them with :func:`sodbench.reports.leaderboards.load` (docs/tables.md, "Leaderboards").
"""
