"""RQ job functions. Thin: they call the engine and the services."""
