"""The Lavalink catalog of metric families and config keys, their validation, and edits of application.yml."""
