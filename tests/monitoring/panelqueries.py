"""A dashboard panel's query as Grafana sends it, for the live tests to run against a store."""

from __future__ import annotations

from lavametrics.mixin.config import MixinConfig, duration_seconds


def substitute(expr: str, c: MixinConfig) -> str:
    """What Grafana sends with every variable at "All", a 5 m range, and $__rate_interval at
    four scrape intervals (Grafana's floor for it)."""
    rate_interval = f"{4 * duration_seconds(c.timings.scrape_interval):g}s"
    return (
        expr.replace("$__rate_interval", rate_interval)
        .replace("$__range", "5m")
        .replace('"$job"', '".*"')
        .replace('"$node"', '".*"')
        .replace('"$bot"', '".*"')
    )
