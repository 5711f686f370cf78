"""Helpers that start real peers for tests: SIP server, phones, JACK, PostgreSQL."""
