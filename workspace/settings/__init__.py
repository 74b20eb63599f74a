"""The settings area: operations settings, cadence and capacity edited in the app."""
