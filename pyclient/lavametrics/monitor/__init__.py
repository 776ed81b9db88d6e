"""Watching nodes: scrape, merge, serve, health checks, file_sd targets and the nodes file."""
