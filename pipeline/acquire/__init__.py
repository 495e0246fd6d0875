"""Acquiring material: polite fetching and the `scrape` command."""
