"""Our HTTP endpoints (``lavametrics serve``, a bot's /metrics), one concept per module:

- ``server``: the bounded server of any prometheus_client registry;
- ``connslots``: which connection gets a thread, so a scrape never waits behind idle clients;
- ``webconfig``: the exporter-toolkit web configuration file, read and checked;
- ``gate``: that configuration applied to connections and requests, re-read when it changes;
- ``tls``, ``auth``, ``ratelimit``: what the gate applies.

The one HTTP client, for scraping, is ``lavametrics.httpfetch``.
"""
