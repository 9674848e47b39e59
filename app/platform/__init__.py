"""Glue every part uses: database and extension singletons, unit of work, column types, queue and Redis."""
