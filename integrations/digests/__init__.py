"""Digests and calendar feeds (see integrations/__init__.py)."""
