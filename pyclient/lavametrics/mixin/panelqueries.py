"""A dashboard panel's query as Grafana sends it, for the live tests and ``bench_scale`` to run
against a store."""

from __future__ import annotations

from lavametrics.mixin.config import MixinConfig, duration_seconds


def substitute(expr: str, c: MixinConfig, *, range_: str = "5m") -> str:
    """What Grafana sends with every variable at "All", a ``range_`` time range, and
    $__rate_interval at four scrape intervals (Grafana's floor for it; above the step plus one
    scrape interval for any range up to about 10 h at Grafana's default resolution)."""
    rate_interval = f"{4 * duration_seconds(c.timings.scrape_interval):g}s"
    return (
        expr.replace("$__rate_interval", rate_interval)
        .replace("$__range", range_)
        .replace('"$job"', '".*"')
        .replace('"$node"', '".*"')
        .replace('"$bot"', '".*"')
    )
