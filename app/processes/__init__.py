"""Processes for people: start pages, my requests, instances, incidents, the definitions admin page."""
