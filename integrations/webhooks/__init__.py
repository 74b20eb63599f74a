"""Webhooks and chat (see integrations/__init__.py)."""
