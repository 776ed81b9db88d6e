"""Prometheus monitoring for Lavalink v4 nodes and the Discord music bots that use them."""

__version__ = "0.1.0"
