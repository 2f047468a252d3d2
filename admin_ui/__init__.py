"""The Vietnamese web admin UI for commune staff."""
