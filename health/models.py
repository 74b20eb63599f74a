"""Models for the health app land with its issue; the app is installed so migrations and URLs have a home."""
