"""Models for the renewals app land with its issue; the app is installed so migrations and URLs have a home."""
