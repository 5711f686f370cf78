"""Revisions, oldest first: 0001 initial schema, 0002 deals, statistics index, full-text."""
