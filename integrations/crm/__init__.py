"""CRM sync (see integrations/__init__.py)."""
