"""Reporting: what admins watch (operations), what process owners improve (process analytics) and what the
career office publishes (its reports), all computed from the engine's history events and the areas' tables
(docs/reporting.md). Analytics read summary tables kept up to date from history (projection.py) and
rebuildable from it at any time (`flask reporting-rebuild`)."""
