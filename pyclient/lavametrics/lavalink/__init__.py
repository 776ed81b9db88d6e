"""Talking to a Lavalink node: the REST calls monitoring needs, and a minimal client session."""
