"""Saved segments on the book: their filter checked by the book's ``BookFilter``, their
members refreshed set-based, the sidebar, the bulk "add to a list" and the API.

The model, visibility and writes are ``accounts.saved_segments``; only this package
knows the book's filter (it combines the apps' columns), so the refresh lives here.
"""
