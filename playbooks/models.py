"""Models for the playbooks app land with its issue; the app is installed so migrations and URLs have a home."""
