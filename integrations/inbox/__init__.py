"""Inbound email (see integrations/__init__.py)."""
