"""Persistence adapters: database URLs, the event store's recorders, our own tables."""
